import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const PASSWORD = "demo-password-2026"; // the published dev seed password (make up only)
export const SCREENSHOTS = resolve(import.meta.dirname, "../../../build/frontend/screenshots");

/** Fails the test on any Content-Security-Policy violation or uncaught page error. */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ context }, use) => {
      const errors: string[] = [];
      // Every violation, also those the page's code catches (which log nothing by themselves).
      await context.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          console.error(`Refused by CSP: ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      context.on("page", (page) => watch(page, errors));
      for (const page of context.pages()) watch(page, errors);
      await use(errors);
      expect(errors, "console errors / CSP violations").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

function watch(page: Page, errors: string[]) {
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && /Content Security Policy|Refused to/.test(text)) errors.push(text);
  });
}

export async function login(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("이메일").fill(email);
  await page.getByLabel("비밀번호").fill(PASSWORD);
  await page.getByRole("button", { name: "로그인" }).click();
  // 502 from `make up`'s dev proxy: the backend is not listening yet (the stack reports ready
  // when the SPA is served) or closed a kept-alive connection as the proxy reused it (seen once
  // in 40 logins at load ~12). Sign in again a second later, up to 10 times; any other error
  // stays a failure.
  for (let retry = 0; retry < 10; retry++) {
    const failed = page.getByRole("alert").filter({ hasText: "Bad Gateway" });
    const outcome = await Promise.race([
      page.waitForURL((url) => !url.pathname.endsWith("/login"), { timeout: 15_000 }).then(() => "in"),
      failed.waitFor({ timeout: 15_000 }).then(() => "502"),
    ]).catch(() => "unknown");
    if (outcome !== "502") return;
    await page.waitForTimeout(1000);
    await page.getByRole("button", { name: "로그인" }).click();
  }
}

/** axe-core on the current screen: no serious or critical violations. */
export async function checkA11y(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}: ${n.failureSummary ?? v.help}`)),
  ).toEqual([]);
}

export async function screenshot(page: Page, info: TestInfo, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${info.project.name}.png`), fullPage: false });
}

export async function apiToken(request: APIRequestContext, email: string): Promise<string> {
  let response = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  // The stack reports ready when the SPA is served; the backend may need a few more seconds.
  for (let i = 0; i < 40 && response.status() === 502; i++) {
    await new Promise((r) => setTimeout(r, 500));
    response = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  }
  expect(response.status(), `login ${email}`).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A Seoul weekday (Mon–Fri) `daysAhead` or later, as the datetime-local value at 09:00. */
export function weekdayMorning(daysAhead: number): string {
  for (let d = daysAhead; ; d++) {
    const day = new Date(Date.now() + d * 86_400_000);
    const local = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul" }).format(day);
    const weekday = new Date(`${local}T12:00:00+09:00`).getUTCDay();
    if (weekday >= 1 && weekday <= 5 && !local.endsWith("-12-25")) return `${local}T09:00`;
  }
}

/** Follows a main-menu link; on a phone the menu sits behind the burger button. */
export async function openNav(page: Page, info: TestInfo, name: string) {
  if (info.project.name === "phone") await page.getByRole("button", { name: "메뉴 열기" }).click();
  await page.getByRole("navigation").getByRole("link", { name, exact: true }).click();
}
