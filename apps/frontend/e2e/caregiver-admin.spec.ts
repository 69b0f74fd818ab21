import { apiToken, checkA11y, expect, login, openNav, PASSWORD, screenshot, test } from "./fixtures";

test("a caregiver sees the licence status and edits weekly availability", async ({ page }, info) => {
  // One caregiver per project: the desktop run saves Sunday hours the phone run must not see.
  await login(page, info.project.name === "phone" ? "caregiver4@demo.homecare.kr" : "caregiver2@demo.homecare.kr");
  await expect(page).toHaveURL(/\/caregiver\/offers$/);
  await openNav(page, info, "내 프로필");
  await expect(page.getByTestId("licence-status")).toContainText("자격 확인됨");
  await checkA11y(page);
  await openNav(page, info, "근무 가능 시간");
  // Sunday: no seeded caregiver works then, so the new hours are the day's only ones.
  const sunday = page.getByTestId("weekday-6");
  await sunday.getByRole("button", { name: /시간대 추가/ }).click();
  await sunday.getByLabel("시작", { exact: true }).fill("14:00");
  await sunday.getByLabel("종료", { exact: true }).fill("12:00");
  await expect(sunday.getByText("시작이 종료보다 빨라야 합니다")).toBeVisible();
  await expect(page.getByRole("button", { name: "저장" })).toBeDisabled();
  await sunday.getByLabel("종료", { exact: true }).fill("18:00");
  await page.getByRole("button", { name: "저장" }).click();
  await expect(page.getByText("저장했습니다")).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "caregiver-availability");
  await page.reload();
  await expect(page.getByTestId("weekday-6").getByLabel("시작", { exact: true })).toHaveValue("14:00");
});

test("a platform admin verifies a new caregiver's licence", async ({ page, request }, info) => {
  // A caregiver signs up and creates a profile: its licence waits for a check.
  const email = `new-${info.project.name}-${Date.now()}@example.kr`;
  const signup = await request.post("/api/v1/auth/signup", {
    data: { email, password: PASSWORD, display_name: "신입 요양보호사", role: "caregiver" },
  });
  expect(signup.status()).toBe(201);
  const token = await apiToken(request, email);
  const licence = `E2E-${Date.now()}`;
  const profile = await request.post("/api/v1/caregivers", {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      licence_number: licence, gender: "female", languages: ["ko"], latitude: 37.5, longitude: 127.0,
      service_radius_km: 5, hourly_rate_krw: 15000,
    },
  });
  expect(profile.status()).toBe(201);

  await login(page, "admin@demo.homecare.kr");
  await expect(page).toHaveURL(/\/admin\/caregivers$/);
  const row = page.getByTestId("verify-row").filter({ hasText: licence });
  await expect(row).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "admin-verify");
  await row.getByRole("button", { name: `자격증 ${licence} 승인` }).click();
  await expect(row).toBeHidden(); // it leaves the "pending" list
  await page.getByText("자격 확인됨", { exact: true }).click();
  await expect(page.getByTestId("verify-row").filter({ hasText: licence })).toContainText("자격 확인됨");
});
