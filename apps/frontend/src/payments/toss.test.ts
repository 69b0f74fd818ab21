import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { confirmKey, parseFailure, parseSuccess, redirectUrls, requestTossPayment, type TossSdk } from "./toss";

const PAYMENT: Schemas["PaymentOut"] = {
  id: "p1",
  booking_id: "b1",
  order_id: "hc-0123456789abcdef0123456789abcdef",
  provider: "toss",
  amount_krw: 6814,
  table_year: 2026,
  priced_provisionally: false,
  refunded_krw: 0,
  refund_due_krw: 0,
  status: "pending",
  provider_status: null,
  failure_code: null,
  approved_at: null,
  created_at: "2026-12-01T00:00:00Z",
};

describe("the Toss payment request", () => {
  it("opens the window with the server's order and amount and our own redirect URLs", async () => {
    const calls: unknown[] = [];
    const sdk: TossSdk = {
      payment(params) {
        calls.push(["payment", params]);
        return {
          requestPayment(request) {
            calls.push(["requestPayment", request]);
            return Promise.resolve();
          },
        };
      },
    };
    await requestTossPayment({
      clientKey: "test_ck_abc",
      customerKey: "hc-u1",
      payment: PAYMENT,
      orderName: "방문요양 본인부담금",
      origin: "https://app.example.com",
      load: (key) => {
        calls.push(["load", key]);
        return Promise.resolve(sdk);
      },
    });
    expect(calls).toEqual([
      ["load", "test_ck_abc"],
      ["payment", { customerKey: "hc-u1" }],
      [
        "requestPayment",
        {
          method: "CARD",
          amount: { currency: "KRW", value: 6814 },
          orderId: PAYMENT.order_id,
          orderName: "방문요양 본인부담금",
          successUrl: "https://app.example.com/family/pay/success?booking=b1",
          failUrl: "https://app.example.com/family/pay/fail?booking=b1",
        },
      ],
    ]);
  });

  it("passes the SDK's refusal on", async () => {
    const load = () => Promise.reject(new Error("[TossPayments SDK] Failed to load script"));
    await expect(
      requestTossPayment({ clientKey: "k", customerKey: "c", payment: PAYMENT, orderName: "o", origin: "o", load }),
    ).rejects.toThrow("Failed to load script");
  });

  it("builds redirect URLs on the given origin with the booking escaped", () => {
    expect(redirectUrls("http://127.0.0.1:5174", "a b")).toEqual({
      successUrl: "http://127.0.0.1:5174/family/pay/success?booking=a%20b",
      failUrl: "http://127.0.0.1:5174/family/pay/fail?booking=a%20b",
    });
  });
});

describe("Toss's redirects", () => {
  it("reads the success parameters Toss appends to successUrl", () => {
    expect(parseSuccess("?booking=b1&paymentKey=tgen_1&orderId=hc-1234567&amount=6814")).toEqual({
      paymentKey: "tgen_1",
      orderId: "hc-1234567",
      amount: 6814,
      bookingId: "b1",
    });
  });

  it.each([
    ["no payment key", "?orderId=hc-1234567&amount=6814"],
    ["no order", "?paymentKey=k&amount=6814"],
    ["no amount", "?paymentKey=k&orderId=hc-1234567"],
    ["a fraction", "?paymentKey=k&orderId=hc-1234567&amount=68.5"],
    ["zero", "?paymentKey=k&orderId=hc-1234567&amount=0"],
    ["negative", "?paymentKey=k&orderId=hc-1234567&amount=-5"],
    ["not a number", "?paymentKey=k&orderId=hc-1234567&amount=1e4"],
  ])("refuses a success redirect with %s", (_name, search) => {
    expect(parseSuccess(search)).toBeNull();
  });

  it("keys the confirm by the redirect: the same URL the same key, another amount another key", () => {
    const first = parseSuccess("?paymentKey=k1&orderId=hc-1234567&amount=6814");
    const reload = parseSuccess("?amount=6814&orderId=hc-1234567&paymentKey=k1");
    const tampered = parseSuccess("?paymentKey=k1&orderId=hc-1234567&amount=100");
    if (!first || !reload || !tampered) throw new Error("parse failed");
    expect(confirmKey(first)).toBe("toss:k1:6814");
    expect(confirmKey(reload)).toBe(confirmKey(first));
    expect(confirmKey(tampered)).not.toBe(confirmKey(first));
    const longest = parseSuccess(`?paymentKey=${"k".repeat(200)}&orderId=hc-1234567&amount=100000000`);
    if (!longest) throw new Error("parse failed");
    expect(confirmKey(longest).length).toBeLessThanOrEqual(255); // the API's Idempotency-Key limit
  });

  it("reads Toss's fail code and message", () => {
    const search = `?booking=b1&code=PAY_PROCESS_CANCELED&message=${encodeURIComponent("사용자에 의해 결제가 취소되었습니다.")}&orderId=hc-1`;
    expect(parseFailure(search)).toEqual({
      code: "PAY_PROCESS_CANCELED",
      message: "사용자에 의해 결제가 취소되었습니다.",
      orderId: "hc-1",
      bookingId: "b1",
    });
    expect(parseFailure("")).toEqual({ code: "", message: "", orderId: null, bookingId: null });
  });
});
