import { expect, login, test } from "./fixtures";

// The policy has no 'unsafe-inline' for styles: Mantine's runtime <style> elements are allowed
// by the response's nonce. This proves both halves: the header is strict, and the styles that
// depend on those elements (the burger hidden from "sm" up, AppShell's navbar width) apply.
test("style-src is nonce-based and the page raises no CSP violation", async ({ page }, info) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // The policy of the document now shown (each page load gets its own nonce).
  const policies: string[] = [];
  page.on("response", (r) => {
    if (r.request().resourceType() === "document") policies.push(r.headers()["content-security-policy"] ?? "");
  });
  await page.goto("/login");
  const csp = policies.at(-1) ?? "";
  const styleSrc = /style-src ([^;]+)/.exec(csp)?.[1] ?? "";
  expect(styleSrc).toMatch(/^'self' 'nonce-[0-9a-f]{32}'$/);
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).toContain("script-src 'self'");

  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  const styles = page.locator("style[data-mantine-styles]");
  expect(await styles.count()).toBeGreaterThan(0);
  // The nonce Mantine put on its elements is the one the header allows.
  const nonce = /'nonce-([0-9a-f]{32})'/.exec(policies.at(-1) ?? "")?.[1];
  expect(nonce).toBeDefined();
  expect(await styles.first().evaluate((el) => (el as HTMLStyleElement).nonce)).toBe(nonce);
  const burger = page.getByRole("button", { name: "메뉴 열기" });
  if (info.project.name === "phone") await expect(burger).toBeVisible();
  else await expect(burger).toBeHidden(); // .mantine-hidden-from-sm: from a nonce'd <style>
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  expect(violations).toEqual([]);
});
