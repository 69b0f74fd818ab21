/**
 * A STAND-IN for the Toss Payments SDK v2 script, for the browser tests only.
 *
 * The real script (https://js.tosspayments.com/v2/standard, which `loadTossPayments()` of
 * `@tosspayments/tosspayments-sdk` injects) cannot be fetched here: this machine has no internet
 * access. `routeToss()` answers that URL, via `page.route`, with the script below, which
 * implements the SDK's documented surface we use: the global factory `TossPayments(clientKey)`,
 * `.payment({ customerKey })` and `.requestPayment({ method: "CARD", amount: { currency: "KRW",
 * value }, orderId, orderName, successUrl, failUrl })`, which leaves the page for Toss's window.
 * That window is played by this module too (a route on js.tosspayments.com, in Node): it has the
 * local Toss contract server (apps/devtools, the backend tests' Toss) authorize a paymentKey for
 * the order and amount the page asked for, then redirects like Toss does — to
 * `successUrl&paymentKey&orderId&amount`, or to `failUrl&code&message&orderId`. What this
 * proves is our side of the contract (what we send, what we do with the redirect), not the
 * real SDK's behaviour in a browser.
 */
import type { Page } from "@playwright/test";

export const SDK_URL = "https://js.tosspayments.com/v2/standard";
const WINDOW_URL = "https://js.tosspayments.com/__standin__/window";

const STANDIN_SDK = `
(function () {
  "use strict";
  function fail(name, message) { var e = new Error(message); e.name = name; throw e; }
  function absolute(url) { try { return /^https?:$/.test(new URL(url).protocol); } catch (e) { return false; } }
  function TossPayments(clientKey) {
    if (!/^(test|live)_ck_[A-Za-z0-9]+$/.test(String(clientKey))) fail("InvalidClientKeyError", "clientKey");
    return {
      payment: function (params) {
        var customerKey = params && params.customerKey;
        if (typeof customerKey !== "string" || !/^[A-Za-z0-9\\-_=.@]{2,50}$/.test(customerKey)) {
          fail("InvalidCustomerKeyError", "customerKey");
        }
        return {
          requestPayment: function (r) {
            if (!r || r.method !== "CARD") fail("NotSupportedMethodError", "method");
            if (!r.amount || r.amount.currency !== "KRW") fail("InvalidAmountCurrencyError", "currency");
            if (!Number.isInteger(r.amount.value) || r.amount.value <= 0) fail("InvalidAmountValueError", "amount");
            if (!/^[A-Za-z0-9\\-_=]{6,64}$/.test(String(r.orderId))) fail("InvalidParametersError", "orderId");
            if (typeof r.orderName !== "string" || !r.orderName) fail("InvalidParametersError", "orderName");
            if (!absolute(r.successUrl)) fail("IncorrectSuccessUrlFormatError", "successUrl");
            if (!absolute(r.failUrl)) fail("IncorrectFailUrlFormatError", "failUrl");
            var q = new URLSearchParams({
              clientKey: clientKey, customerKey: customerKey, orderId: r.orderId, orderName: r.orderName,
              amount: String(r.amount.value), successUrl: r.successUrl, failUrl: r.failUrl
            });
            window.location.assign(${JSON.stringify(WINDOW_URL)} + "?" + q.toString());
            return new Promise(function () {}); // redirect flow: the page is left
          },
          destroy: function () {}
        };
      }
    };
  }
  TossPayments.ANONYMOUS = "@@ANONYMOUS";
  window.TossPayments = TossPayments;
})();
`;

/** What the stand-in window does: approve, approve but hand back another amount, or fail. */
export type Outcome = "approve" | "tamper" | "fail";

export interface WindowRequest {
  clientKey: string;
  customerKey: string;
  orderId: string;
  orderName: string;
  amount: number;
  successUrl: string;
  failUrl: string;
  paymentKey?: string;
}

export const FAIL_CODE = "PAY_PROCESS_CANCELED";
export const FAIL_MESSAGE = "사용자에 의해 결제가 취소되었습니다.";

/**
 * Route the SDK's script and the stand-in window for this page. `outcome()` is read at each
 * payment request; every request the window got is appended to the returned list.
 */
export async function routeToss(page: Page, contractUrl: string, outcome: () => Outcome): Promise<WindowRequest[]> {
  const seen: WindowRequest[] = [];
  await page.route(SDK_URL, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: STANDIN_SDK }),
  );
  await page.route(`${WINDOW_URL}?*`, async (route) => {
    const q = new URL(route.request().url()).searchParams;
    const request: WindowRequest = {
      clientKey: q.get("clientKey") ?? "",
      customerKey: q.get("customerKey") ?? "",
      orderId: q.get("orderId") ?? "",
      orderName: q.get("orderName") ?? "",
      amount: Number(q.get("amount")),
      successUrl: q.get("successUrl") ?? "",
      failUrl: q.get("failUrl") ?? "",
    };
    seen.push(request);
    const mode = outcome();
    let target: URL;
    if (mode === "fail") {
      target = new URL(request.failUrl);
      target.searchParams.set("code", FAIL_CODE);
      target.searchParams.set("message", FAIL_MESSAGE);
      target.searchParams.set("orderId", request.orderId);
    } else {
      request.paymentKey = `tstandin${String(Date.now())}${String(seen.length)}`;
      // The customer approved in Toss's window: the contract server now knows this paymentKey.
      const authorized = await fetch(`${contractUrl}/__test__/authorize`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ paymentKey: request.paymentKey, orderId: request.orderId, amount: request.amount }),
      });
      if (!authorized.ok) throw new Error(`contract server authorize: ${String(authorized.status)}`);
      target = new URL(request.successUrl);
      target.searchParams.set("paymentKey", request.paymentKey);
      target.searchParams.set("orderId", request.orderId);
      target.searchParams.set("amount", String(mode === "tamper" ? Math.floor(request.amount / 2) : request.amount));
    }
    await route.fulfill({ status: 302, headers: { Location: target.toString() } });
  });
  return seen;
}

/** The contract server's record: real charges per paymentKey and calls per operation. */
export async function contractRecord(
  contractUrl: string,
): Promise<{ charges: Record<string, number>; requests: Record<string, number> }> {
  const response = await fetch(`${contractUrl}/__test__/charges`);
  return (await response.json()) as { charges: Record<string, number>; requests: Record<string, number> };
}
