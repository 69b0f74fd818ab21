import type { APIRequestContext } from "@playwright/test";
import { apiToken, checkA11y, expect, login, openNav, screenshot, test, weekdayMorning } from "./fixtures";

const CAREGIVERS = Array.from({ length: 8 }, (_, i) => `caregiver${i + 1}@demo.homecare.kr`);

/** The caregiver (by email) who holds a pending offer now; dispatch picks them by match score. */
async function offeredCaregiver(request: APIRequestContext): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    for (const email of CAREGIVERS) {
      const token = await apiToken(request, email);
      const offers = await request.get("/api/v1/offers", { headers: { Authorization: `Bearer ${token}` } });
      if (offers.status() !== 200) continue;
      const list = (await offers.json()) as { status: string }[];
      if (list.some((o) => o.status === "pending")) return email;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("no caregiver received an offer");
}

test("a family requests a visit, a caregiver accepts the offer, the family sees it live", async ({ browser, page, request }, info) => {
  // Two browsers, a dispatch wave and the feed: 90 s ran out at load ~22 (all steps had passed).
  test.setTimeout(180_000);
  // The family requests a visit (desktop and phone book different days: no double booking).
  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await openNav(page, info, "예약");
  await expect(page.getByRole("heading", { name: "예약", exact: true })).toBeVisible();
  await page.getByRole("combobox", { name: "대상자" }).click();
  await page.getByRole("option", { name: "한말순" }).click();
  await page.getByLabel("시작 시각").fill(weekdayMorning(info.project.name === "phone" ? 10 : 4));
  await page.getByRole("combobox", { name: "방문 시간" }).click();
  await page.getByRole("option", { name: "120분" }).click();
  await checkA11y(page);
  await screenshot(page, info, "family-booking");
  await page.getByRole("button", { name: "요청하고 요양보호사 찾기" }).click();
  const requested = page.getByTestId("booking").filter({ has: page.locator('[data-status="requested"]') });
  await expect(requested.first()).toBeVisible();

  // The best-matching caregivers got offers; one of them opens the app and accepts.
  const email = await offeredCaregiver(request);
  const caregiverContext = await browser.newContext({ ...info.project.use, baseURL: info.project.use.baseURL });
  const caregiver = await caregiverContext.newPage();
  await login(caregiver, email);
  await expect(caregiver).toHaveURL(/\/caregiver\/offers$/);
  const offer = caregiver.getByTestId("offer").filter({ has: caregiver.getByRole("button", { name: "수락" }) });
  await expect(offer.first()).toBeVisible();
  await expect(offer.first().getByTestId("countdown")).toHaveText(/남은 시간 \d+:\d\d/);
  await checkA11y(caregiver);
  await screenshot(caregiver, info, "caregiver-offers");
  await offer.first().getByRole("button", { name: "수락" }).click();
  await expect(caregiver.getByTestId("offer").filter({ hasText: "수락함" }).first()).toBeVisible();

  // The family's page was never reloaded: the confirmation arrives over SSE.
  await expect(page.getByTestId("live-confirmed")).toBeVisible();
  await expect(page.getByTestId("booking").locator('[data-status="confirmed"]').first()).toBeVisible();
  await screenshot(page, info, "family-booking-confirmed");
  await caregiverContext.close();

  // The feed lists it too.
  await openNav(page, info, "알림");
  await expect(page.getByTestId("notification").filter({ hasText: "예약이 확정되었습니다" }).first()).toBeVisible();
  await checkA11y(page);
});
