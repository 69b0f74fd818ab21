import { apiToken, checkA11y, expect, login, screenshot, test, weekdayMorning } from "./fixtures";

// A family's booking: the cost split (NHIS / co-pay / above-limit) shown before anything is
// confirmed, payment with the dev `manual` provider, then cancellation with the policy's fee.
test("a family sees the cost split, pays, and cancels with the fee shown", async ({ page, request }, info) => {
  const token = await apiToken(request, "family1@demo.homecare.kr");
  const headers = { Authorization: `Bearer ${token}` };
  const recipients = (await (await request.get("/api/v1/recipients", { headers })).json()) as {
    items: { id: string; name: string }[];
  };
  const recipient = recipients.items.find((r) => r.name === "한말순");
  expect(recipient).toBeDefined();
  const start = `${weekdayMorning(info.project.name === "phone" ? 12 : 6)}:00+09:00`;
  const created = await request.post("/api/v1/bookings", {
    headers,
    data: { recipient_id: recipient?.id, start_at: start, duration_minutes: 180 },
  });
  expect(created.status()).toBe(201);
  const booking = (await created.json()) as { id: string };
  const split = (await (await request.get(`/api/v1/billing/bookings/${booking.id}/split`, { headers })).json()) as {
    booking: { nhis_krw: number; copay_krw: number; family_krw: number };
  };

  await login(page, "family1@demo.homecare.kr");
  await expect(page).toHaveURL(/\/family\/recipients$/);
  await page.goto(`/family/bookings/${booking.id}`);
  await expect(page.getByRole("heading", { name: "예약 상세" })).toBeVisible();
  const table = page.getByTestId("split");
  const won = (n: number) => new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW" }).format(n);
  await expect(table.locator('[data-part="nhis"]')).toContainText(won(split.booking.nhis_krw));
  await expect(table.locator('[data-part="copay"]')).toContainText(won(split.booking.copay_krw));
  await expect(table.locator('[data-part="above_limit"]')).toBeVisible();
  await expect(table.locator('[data-part="family"]')).toContainText(won(split.booking.family_krw));
  await expect(page.getByTestId("month")).toContainText("본인부담");
  await checkA11y(page);
  await screenshot(page, info, "family-cost-split");

  await page.getByRole("button", { name: `${won(split.booking.family_krw)} 결제하기` }).click();
  await expect(page.getByTestId("paid")).toContainText(won(split.booking.family_krw));

  await page.getByRole("button", { name: "취소 조건 보기" }).click();
  const terms = page.getByTestId("cancel-terms");
  await expect(terms).toContainText("무료로 취소할 수 있습니다");
  await expect(terms).toContainText(`취소 수수료 ${won(0)}`);
  await expect(terms).toContainText(`환불 ${won(split.booking.family_krw)}`);
  await checkA11y(page);
  await screenshot(page, info, "family-pay-cancel");
  await terms.getByRole("button", { name: "수수료를 확인했고 취소합니다" }).click();
  await expect(page.getByTestId("booking-status")).toHaveAttribute("data-status", "cancelled_by_family");
});
