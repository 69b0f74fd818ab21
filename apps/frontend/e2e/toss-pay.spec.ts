import { apiToken, checkA11y, expect, login, screenshot, test, weekdayMorning } from "./fixtures";
import { FAIL_CODE, FAIL_MESSAGE, SDK_URL, contractRecord, routeToss, type Outcome } from "./toss-standin";

/*
 * The Toss path end to end, on `make up`'s Toss stack (HOMECARE_TOSS_STACK=1, started by
 * playwright.config.ts): a second backend with HOMECARE_PAYMENTS_PROVIDER=toss against the local
 * Toss contract server, behind a frontend that serves the Toss CSP, on the same database.
 *
 * The Toss SDK script is a STAND-IN (e2e/toss-standin.ts): the real one cannot be fetched here
 * (no internet). It implements the SDK's documented factory, payment request and redirect; the
 * charges are counted by the contract server, which the backend confirms against.
 */
const ports = (process.env.HOMECARE_E2E_PORTS ?? "").split(",");
const CONTRACT = `http://127.0.0.1:${ports[4] ?? ""}`;
const TOSS_ORIGIN = `http://127.0.0.1:${ports[6] ?? ""}`;
test.use({ baseURL: TOSS_ORIGIN });

const won = (n: number) => new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW" }).format(n);

/** A new booking of family1's recipient at `hour` Seoul, `days` ahead; and its split. */
async function newBooking(
  request: import("@playwright/test").APIRequestContext,
  days: number,
  hour: string,
): Promise<{ id: string; familyKrw: number }> {
  const token = await apiToken(request, "family1@demo.homecare.kr");
  const headers = { Authorization: `Bearer ${token}` };
  const recipients = (await (await request.get("/api/v1/recipients", { headers })).json()) as {
    items: { id: string; name: string }[];
  };
  const recipient = recipients.items.find((r) => r.name === "한말순");
  expect(recipient).toBeDefined();
  const start = `${weekdayMorning(days).replace("T09:00", `T${hour}`)}:00+09:00`;
  const created = await request.post("/api/v1/bookings", {
    headers,
    data: { recipient_id: recipient?.id, start_at: start, duration_minutes: 120 },
  });
  expect(created.status(), await created.text()).toBe(201);
  const booking = (await created.json()) as { id: string };
  const split = (await (await request.get(`/api/v1/billing/bookings/${booking.id}/split`, { headers })).json()) as {
    booking: { family_krw: number };
  };
  expect(split.booking.family_krw).toBeGreaterThan(1);
  return { id: booking.id, familyKrw: split.booking.family_krw };
}

test("Toss: the server's amount in the window, confirmed once, a reload charges nothing more", async ({
  page,
  request,
}, info) => {
  const days = info.project.name === "phone" ? 23 : 9;
  const booking = await newBooking(request, days, "10:00");
  const window = await routeToss(page, CONTRACT, () => "approve");

  await login(page, "family1@demo.homecare.kr");
  await page.goto(`/family/bookings/${booking.id}`);
  await expect(page.getByTestId("pay-provider")).toHaveAttribute("data-provider", "toss");
  await expect(page.getByTestId("split").locator('[data-part="family"]')).toContainText(won(booking.familyKrw));
  const sdk = page.waitForRequest(SDK_URL);
  await page.getByRole("button", { name: `${won(booking.familyKrw)} 결제하기` }).click();
  await sdk; // loaded from js.tosspayments.com: the Toss CSP allows it
  await expect(page).toHaveURL(/\/family\/pay\/success\?/);
  await expect(page.getByTestId("paid")).toContainText(won(booking.familyKrw));

  // What the page asked Toss for: the API's split amount and the server's order, our own origin.
  expect(window).toHaveLength(1);
  const asked = window[0];
  expect(asked?.amount).toBe(booking.familyKrw);
  expect(asked?.orderId).toBe(`hc-${booking.id.replaceAll("-", "")}`);
  expect(asked?.clientKey).toMatch(/^test_ck_/);
  expect(asked?.customerKey).toMatch(/^hc-[0-9a-f]{32}$/);
  expect(asked?.successUrl).toBe(`${TOSS_ORIGIN}/family/pay/success?booking=${booking.id}`);
  expect(asked?.failUrl).toBe(`${TOSS_ORIGIN}/family/pay/fail?booking=${booking.id}`);
  const key = asked?.paymentKey ?? "";
  expect((await contractRecord(CONTRACT)).charges[key]).toBe(1);
  await checkA11y(page);
  await screenshot(page, info, "family-toss-success");

  // A reload (or a second visit) of the success URL replays the first answer: still paid, and
  // Toss is not asked to confirm again.
  const confirmsBefore = (await contractRecord(CONTRACT)).requests.confirm ?? 0;
  await page.reload();
  await expect(page.getByTestId("paid")).toContainText(won(booking.familyKrw));
  const after = await contractRecord(CONTRACT);
  expect(after.charges[key]).toBe(1);
  expect(after.requests.confirm ?? 0).toBe(confirmsBefore);
});

test("Toss: an amount tampered in the success URL is refused by the server and nothing is charged", async ({
  page,
  request,
}, info) => {
  const days = info.project.name === "phone" ? 23 : 9;
  const booking = await newBooking(request, days, "13:00");
  const window = await routeToss(page, CONTRACT, () => "tamper");

  await login(page, "family1@demo.homecare.kr");
  await page.goto(`/family/bookings/${booking.id}`);
  await page.getByRole("button", { name: `${won(booking.familyKrw)} 결제하기` }).click();
  await expect(page).toHaveURL(/\/family\/pay\/success\?/);
  expect(new URL(page.url()).searchParams.get("amount")).toBe(String(Math.floor(booking.familyKrw / 2)));
  const problem = page.getByTestId("confirm-problem");
  await expect(problem).toHaveAttribute("data-code", "amount_mismatch");
  await expect(problem.getByRole("alert")).toContainText("결제 금액이 이 예약의 금액과 다릅니다");
  await expect(page.getByTestId("paid")).toHaveCount(0);
  expect((await contractRecord(CONTRACT)).charges[window[0]?.paymentKey ?? ""] ?? 0).toBe(0);
  await checkA11y(page);
  await screenshot(page, info, "family-toss-amount-mismatch");
});

test("Toss: the fail page shows Toss's code and message, and paying again succeeds", async ({
  page,
  request,
}, info) => {
  const days = info.project.name === "phone" ? 23 : 9;
  const booking = await newBooking(request, days, "16:00");
  let outcome: Outcome = "fail";
  const window = await routeToss(page, CONTRACT, () => outcome);

  await login(page, "family1@demo.homecare.kr");
  await page.goto(`/family/bookings/${booking.id}`);
  await page.getByRole("button", { name: `${won(booking.familyKrw)} 결제하기` }).click();
  await expect(page).toHaveURL(/\/family\/pay\/fail\?/);
  const failure = page.getByTestId("toss-failure");
  await expect(failure).toContainText(FAIL_MESSAGE);
  await expect(failure).toContainText(FAIL_CODE);
  await expect(page.getByText("청구된 금액은 없습니다")).toBeVisible();
  await checkA11y(page);
  await screenshot(page, info, "family-toss-fail");

  outcome = "approve";
  await page.getByRole("button", { name: "다시 결제하기" }).click();
  await expect(page).toHaveURL(/\/family\/pay\/success\?/);
  await expect(page.getByTestId("paid")).toContainText(won(booking.familyKrw));
  expect(window).toHaveLength(2);
  expect(window[1]?.amount).toBe(booking.familyKrw);
  expect((await contractRecord(CONTRACT)).charges[window[1]?.paymentKey ?? ""]).toBe(1);
});

test("the CSP admits Toss's hosts only on the Toss stack", async ({ request }) => {
  const toss = (await request.get(`${TOSS_ORIGIN}/`)).headers()["content-security-policy"] ?? "";
  const manualOrigin = `http://127.0.0.1:${ports[3] ?? ""}`;
  const strict = (await request.get(`${manualOrigin}/`)).headers()["content-security-policy"] ?? "";
  expect(toss).toContain("script-src 'self' https://js.tosspayments.com;");
  expect(toss).toContain("frame-src https://*.tosspayments.com;");
  expect(strict).toContain("script-src 'self';");
  expect(strict).toContain("connect-src 'self';");
  expect(strict).not.toContain("tosspayments");
});
