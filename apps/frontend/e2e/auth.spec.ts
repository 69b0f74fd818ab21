import { checkA11y, expect, login, openNav, screenshot, test } from "./fixtures";

test("a family signs in, sees recipients with their grade, and logs out", async ({ page }, info) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "로그인" })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "login");

  // A wrong password: the server's error appears next to the password field.
  await page.getByLabel("이메일").fill("family1@demo.homecare.kr");
  await page.getByLabel("비밀번호").fill("wrong-password-123");
  await page.getByRole("button", { name: "로그인" }).click();
  await expect(page.getByText("이메일 또는 비밀번호가 맞지 않습니다")).toBeVisible();

  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await expect(page.getByTestId("recipient").filter({ hasText: "한말순" })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "family-recipients");

  await openNav(page, info, "요양보호사");
  await expect(page.getByRole("heading", { name: "요양보호사" })).toBeVisible();
  await expect(page.getByTestId("caregiver").first()).toContainText("₩");
  await checkA11y(page);

  if (info.project.name === "phone") await page.getByRole("button", { name: "메뉴 열기" }).click();
  await page.getByRole("button", { name: "로그아웃" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/family/recipients");
  await expect(page).toHaveURL(/\/login$/);
});

test("the language switch turns the app into English", async ({ page }) => {
  await page.goto("/login");
  await page.getByText("English").click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
});
