import type { APIRequestContext } from "@playwright/test";
import { apiToken, checkA11y, expect, login, openNav, PASSWORD, screenshot, test, weekdayMorning } from "./fixtures";

// Family sharing: 한가족 (family1) shares 한말순 with a new family account as a viewer; that
// account, in its own browser context, accepts, sees her visits and care log, and is refused
// (403 `not_owner`, the server's message shown) when it tries to pay. Inviting the same address
// again shows `already_sharing` at the e-mail field.

const OWNER = "family1@demo.homecare.kr";
const RECIPIENT = "한말순"; // the seed's completed visit with a care log is hers
const INVITE_FIELD = "초대할 가족의 이메일";

interface Booking {
  id: string;
  recipient_id: string;
  status: string;
}

async function api<T>(request: APIRequestContext, token: string, path: string): Promise<T> {
  const response = await request.get(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status(), path).toBe(200);
  return (await response.json()) as T;
}

/** A completed visit of the recipient that has a care log (the seed writes one), and its notes. */
async function visitWithLog(request: APIRequestContext, token: string, recipientId: string) {
  const { items } = await api<{ items: Booking[] }>(request, token, "/bookings?limit=100");
  for (const b of items.filter((b) => b.recipient_id === recipientId && b.status === "completed")) {
    const log = await request.get(`/api/v1/bookings/${b.id}/care-log`, { headers: { Authorization: `Bearer ${token}` } });
    if (log.status() === 200) return { id: b.id, notes: ((await log.json()) as { notes: string }).notes };
  }
  throw new Error(`no completed visit of ${recipientId} with a care log`);
}

test("an owner shares a recipient; the viewer sees her visits and care log but cannot pay", async ({
  browser,
  page,
  request,
}, info) => {
  const ownerToken = await apiToken(request, OWNER);
  const owner = { Authorization: `Bearer ${ownerToken}` };
  const { items } = await api<{ items: { id: string; name: string }[] }>(request, ownerToken, "/recipients");
  const recipient = items.find((r) => r.name === RECIPIENT);
  expect(recipient).toBeDefined();
  const recipientId = recipient?.id ?? "";
  const logged = await visitWithLog(request, ownerToken, recipientId);
  expect(logged.notes).not.toBe("");
  // An upcoming visit the owner booked (payable), on a day the other specs do not book her.
  const booked = await request.post("/api/v1/bookings", {
    headers: owner,
    data: { recipient_id: recipientId, start_at: `${weekdayMorning(info.project.name === "phone" ? 24 : 18)}:00+09:00`, duration_minutes: 120 },
  });
  expect(booked.status()).toBe(201);
  const upcoming = (await booked.json()) as Booking;
  // The second family account, new for each run.
  const email = `share-${info.project.name}-${Date.now()}@example.kr`;
  const signup = await request.post("/api/v1/auth/signup", {
    data: { email, password: PASSWORD, display_name: "공유 가족", role: "family" },
  });
  expect(signup.status()).toBe(201);

  // 1. The owner invites the account as a viewer (the form's default role).
  await login(page, OWNER);
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await page.getByRole("button", { name: `${RECIPIENT} 가족과 공유` }).click();
  const panel = page.getByTestId("share");
  await expect(panel.getByTestId("member").first()).toBeVisible();
  await panel.getByLabel(INVITE_FIELD).fill(email);
  await expect(panel.getByRole("combobox", { name: "권한" })).toHaveValue("보기만");
  await panel.getByRole("button", { name: "초대하기" }).click();
  await expect(panel.getByTestId("invitation").filter({ hasText: `${email} 초대 대기 중` })).toBeVisible();
  await expect(panel.getByLabel(INVITE_FIELD)).toHaveValue("");
  await checkA11y(page);
  await screenshot(page, info, "family-share");

  // 2. The invitee, in a browser of its own, accepts and sees the recipient.
  const context = await browser.newContext({ ...info.project.use, baseURL: info.project.use.baseURL });
  const viewer = await context.newPage();
  await login(viewer, email);
  await expect(viewer).toHaveURL(/\/family\/recipients$/);
  const invited = viewer.getByTestId("my-invitations");
  await expect(invited).toContainText("보기만");
  await checkA11y(viewer);
  await invited.getByRole("button", { name: "수락" }).click();
  await expect(invited).toBeHidden();
  await expect(viewer.getByTestId("recipient").filter({ hasText: RECIPIENT })).toBeVisible();
  // Members are listed to a viewer too, but there is no invitation form.
  await viewer.getByRole("button", { name: `${RECIPIENT} 가족과 공유` }).click();
  const viewerPanel = viewer.getByTestId("share");
  await expect(viewerPanel.getByTestId("member").filter({ hasText: email })).toContainText("보기만");
  await expect(viewerPanel.getByLabel(INVITE_FIELD)).toHaveCount(0);
  await checkA11y(viewer);

  // 3. Her visits: the completed one shows the caregiver's care log.
  await openNav(viewer, info, "예약");
  await expect(viewer.locator(`a[href="/family/bookings/${upcoming.id}"]`)).toBeVisible();
  await viewer.goto(`/family/bookings/${logged.id}`);
  await expect(viewer.getByTestId("visit-status")).toHaveAttribute("data-state", "completed");
  await expect(viewer.getByTestId("care-log-notes")).toHaveText(logged.notes);
  await checkA11y(viewer);

  // 4. Paying the upcoming visit is for owners: the server's 403 and its message.
  await viewer.goto(`/family/bookings/${upcoming.id}`);
  const payButton = viewer.getByRole("button", { name: /결제하기$/ });
  const [refusal] = await Promise.all([
    viewer.waitForResponse((r) => r.url().endsWith(`/api/v1/bookings/${upcoming.id}/payment`) && r.request().method() === "POST"),
    payButton.click(),
  ]);
  expect(refusal.status()).toBe(403);
  expect(((await refusal.json()) as { code: string }).code).toBe("not_owner");
  await expect(viewer.getByRole("alert").filter({ hasText: "관리 권한이 있는 가족만 할 수 있습니다" })).toBeVisible();
  await expect(viewer.getByTestId("paid")).toHaveCount(0);
  await checkA11y(viewer);
  await screenshot(viewer, info, "family-viewer-refused");
  await context.close();

  // 5. The owner sees the new member; inviting the address again names the error at the field.
  await page.reload();
  await page.getByRole("button", { name: `${RECIPIENT} 가족과 공유` }).click();
  await expect(panel.getByTestId("member").filter({ hasText: email })).toContainText("보기만");
  await panel.getByLabel(INVITE_FIELD).fill(email);
  await panel.getByRole("button", { name: "초대하기" }).click();
  const field = panel.getByLabel(INVITE_FIELD);
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAccessibleDescription("이미 함께 보고 있는 가족입니다");
  await checkA11y(page);

  // The owner cancels the visit booked for this test (nothing was paid).
  const cancelled = await request.post(`/api/v1/bookings/${upcoming.id}/status`, {
    headers: owner,
    data: { status: "cancelled_by_family" },
  });
  expect(cancelled.status()).toBe(200);
});
