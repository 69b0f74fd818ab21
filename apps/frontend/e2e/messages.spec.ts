import type { APIRequestContext } from "@playwright/test";
import { apiToken, checkA11y, expect, login, openNav, screenshot, test } from "./fixtures";

const CAREGIVERS = Array.from({ length: 8 }, (_, i) => `caregiver${i + 1}@demo.homecare.kr`);

interface Booking {
  id: string;
  status: string;
  caregiver_id: string | null;
  start_at: string;
}

async function bookings(request: APIRequestContext, token: string): Promise<Booking[]> {
  const response = await request.get("/api/v1/bookings?limit=100", { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { items: Booking[] }).items;
}

/** The caregiver account (by email) that sees this booking: the one it is assigned to. */
async function assignedCaregiver(request: APIRequestContext, bookingId: string): Promise<string> {
  for (const email of CAREGIVERS) {
    const token = await apiToken(request, email);
    const r = await request.get(`/api/v1/bookings/${bookingId}`, { headers: { Authorization: `Bearer ${token}` } });
    if (r.status() === 200) return email;
  }
  throw new Error(`no caregiver sees booking ${bookingId}`);
}

test("family and caregiver exchange messages on a booking, live", async ({ browser, page, request }, info) => {
  const token = await apiToken(request, "family1@demo.homecare.kr");
  const upcoming = (await bookings(request, token))
    .filter((b) => b.status === "confirmed" && b.caregiver_id && b.start_at > new Date().toISOString())
    .sort((a, b) => a.start_at.localeCompare(b.start_at));
  const booking = upcoming[info.project.name === "phone" ? 1 : 0];
  expect(booking).toBeDefined();
  const bookingId = booking?.id ?? "";
  const email = await assignedCaregiver(request, bookingId);
  const note = `[${info.project.name}] 현관 비밀번호는 문자로 보내 드릴게요.`;
  const reply = `[${info.project.name}] 확인했습니다. 9시 전에 도착하겠습니다.`;

  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await page.goto(`/messages/${bookingId}`);
  await expect(page.getByRole("heading", { name: "메시지", exact: true })).toBeVisible();
  await page.getByLabel("메시지 쓰기").fill(note);
  await page.getByRole("button", { name: "보내기" }).click();
  await expect(page.getByTestId("message").filter({ hasText: note })).toBeVisible();

  // The caregiver sees the thread with an unread badge, opens it and answers.
  const context = await browser.newContext({ ...info.project.use, baseURL: info.project.use.baseURL });
  const caregiver = await context.newPage();
  await login(caregiver, email);
  await expect(caregiver).toHaveURL(/\/caregiver\/offers$/);
  await openNav(caregiver, info, "메시지");
  const thread = caregiver.getByTestId("thread").filter({ hasText: "읽지 않음" });
  await expect(thread.first()).toBeVisible();
  await checkA11y(caregiver);
  await caregiver.goto(`/messages/${bookingId}`);
  await expect(caregiver.getByTestId("message").filter({ hasText: note })).toBeVisible();
  await caregiver.getByLabel("메시지 쓰기").fill(reply);
  await caregiver.getByRole("button", { name: "보내기" }).click();
  await expect(caregiver.getByTestId("message").filter({ hasText: reply })).toBeVisible();
  await checkA11y(caregiver);
  await screenshot(caregiver, info, "caregiver-messages");
  await context.close();

  // The family's page was not reloaded: the reply arrives over the event stream.
  await expect(page.getByTestId("message").filter({ hasText: reply })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "family-messages");
});

test("a family reviews a completed visit", async ({ page, request }, info) => {
  const token = await apiToken(request, "family1@demo.homecare.kr");
  const headers = { Authorization: `Bearer ${token}` };
  const done = (await bookings(request, token)).filter((b) => b.status === "completed");
  let target: Booking | undefined;
  for (const b of done) {
    const r = await request.get(`/api/v1/bookings/${b.id}/review`, { headers });
    if (r.status() === 404) {
      target = b;
      break;
    }
  }
  expect(target, "a completed visit without a review").toBeDefined();
  const text = `[${info.project.name}] 어머니께서 편안해하셨어요. 감사합니다.`;

  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await page.goto(`/family/bookings/${target?.id ?? ""}`);
  await expect(page.getByRole("heading", { name: "후기" })).toBeVisible();
  await page.getByLabel("후기 내용").fill(text);
  await checkA11y(page);
  await page.getByRole("button", { name: "후기 등록" }).click();
  await expect(page.getByTestId("review")).toContainText(text);
  await screenshot(page, info, "family-review");
});
