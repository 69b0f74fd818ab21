import { cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initI18n } from "../../i18n";
import type { TossSdk } from "../../payments/toss";
import { FAMILY_ME, renderSignedIn } from "../../testing/render";
import { json, problem, startServer, type Handler } from "../../testing/server";
import { PayFailPage, PaySuccessPage } from "./PayResultPages";

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  cleanup();
  await close?.();
  close = null;
});
beforeAll(() => {
  initI18n("ko");
});

const ORDER = "hc-0123456789abcdef0123456789abcdef";
const PAID = {
  id: "p1", booking_id: "b1", order_id: ORDER, provider: "toss", amount_krw: 6814, table_year: 2026,
  priced_provisionally: false, refunded_krw: 0, refund_due_krw: 0, status: "paid", provider_status: "DONE",
  failure_code: null, approved_at: "2026-12-01T01:00:00Z", created_at: "2026-12-01T00:00:00Z",
};
const CONFIRM = `/api/v1/payments/by-order/${ORDER}/confirm`;
const SUCCESS_URL = `/family/pay/success?booking=b1&paymentKey=tgen_abc&orderId=${ORDER}&amount=6814`;

async function serve(handler: Handler) {
  const server = await startServer((req, body, res) => {
    if (req.url === "/api/v1/me") json(res, 200, FAMILY_ME);
    else handler(req, body, res);
  });
  close = server.close;
  return server;
}

function confirms(server: Awaited<ReturnType<typeof serve>>) {
  return server.requests.filter((r) => r.url === CONFIRM);
}

describe("the success page", () => {
  it("confirms what Toss returned, with an Idempotency-Key a reload repeats", async () => {
    const server = await serve((req, _body, res) => {
      if (req.url === CONFIRM) json(res, 200, PAID);
      else problem(res, 404, "not_found");
    });
    renderSignedIn(`${server.url}/api`, "/family/pay/success", SUCCESS_URL, <PaySuccessPage />);
    expect((await screen.findByTestId("paid", {}, { timeout: 5000 })).textContent).toContain("₩6,814");
    // The page is opened again (a reload): the same request, the same key.
    cleanup();
    renderSignedIn(`${server.url}/api`, "/family/pay/success", SUCCESS_URL, <PaySuccessPage />);
    await screen.findByTestId("paid", {}, { timeout: 5000 });
    const sent = confirms(server);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.method).toBe("POST");
      expect(request.headers["idempotency-key"]).toBe("toss:tgen_abc:6814");
      expect(JSON.parse(request.body)).toEqual({ payment_key: "tgen_abc", amount_krw: 6814 });
    }
  });

  it("shows the server's refusal of another amount", async () => {
    const server = await serve((req, _body, res) => {
      if (req.url === CONFIRM)
        problem(res, 409, "amount_mismatch", { detail: "This booking's share is 6814 KRW", expected_amount_krw: 6814 });
      else problem(res, 404, "not_found");
    });
    const tampered = SUCCESS_URL.replace("amount=6814", "amount=100");
    // (the order id is in the path: the handler above answers the confirm of ORDER)
    renderSignedIn(`${server.url}/api`, "/family/pay/success", tampered, <PaySuccessPage />);
    const alert = await screen.findByRole("alert", {}, { timeout: 5000 });
    expect(alert.textContent).toContain("결제 금액이 이 예약의 금액과 다릅니다");
    expect(screen.getByTestId("confirm-problem").dataset.code).toBe("amount_mismatch");
    expect(screen.queryByTestId("paid")).toBeNull();
    expect(JSON.parse(confirms(server)[0]?.body ?? "{}")).toMatchObject({ amount_krw: 100 });
  });

  it("says a payment confirmed earlier is paid, without charging again", async () => {
    const server = await serve((req, _body, res) => {
      if (req.url === CONFIRM) problem(res, 409, "payment_already_confirmed");
      else problem(res, 404, "not_found");
    });
    renderSignedIn(`${server.url}/api`, "/family/pay/success", SUCCESS_URL, <PaySuccessPage />);
    expect((await screen.findByTestId("paid", {}, { timeout: 5000 })).textContent).toContain("이미 결제가 완료된");
  });

  it("asks again while the server is still settling the same confirm", async () => {
    let calls = 0;
    const server = await serve((req, _body, res) => {
      if (req.url !== CONFIRM) problem(res, 404, "not_found");
      else if (++calls === 1) problem(res, 409, "idempotency_request_in_progress");
      else json(res, 200, PAID);
    });
    renderSignedIn(`${server.url}/api`, "/family/pay/success", SUCCESS_URL, <PaySuccessPage />);
    await screen.findByTestId("paid", {}, { timeout: 8000 });
    expect(confirms(server)).toHaveLength(2);
  });

  it("sends nothing for a redirect without Toss's parameters", async () => {
    const server = await serve((_req, _body, res) => problem(res, 404, "not_found"));
    renderSignedIn(`${server.url}/api`, "/family/pay/success", "/family/pay/success?booking=b1&amount=6814", <PaySuccessPage />);
    expect((await screen.findByRole("alert")).textContent).toContain("결제 결과를 읽을 수 없습니다");
    expect(confirms(server)).toHaveLength(0);
    expect(screen.getByRole("link", { name: "← 예약으로 돌아가기" }).getAttribute("href")).toBe("/family/bookings/b1");
  });
});

describe("the fail page", () => {
  it("shows Toss's message and code, and opens the window again for the booking", async () => {
    const server = await serve((req, _body, res) => {
      if (req.url === "/api/v1/payment-config")
        json(res, 200, { provider: "toss", toss_client_key: "test_ck_abcdefgh123", customer_key: "hc-u1" });
      else if (req.url === "/api/v1/bookings/b1/payment") json(res, 200, { ...PAID, status: "pending", provider_status: null });
      else problem(res, 404, "not_found");
    });
    const requested: unknown[] = [];
    const sdk: TossSdk = {
      payment: () => ({
        requestPayment: (request) => {
          requested.push(request);
          return new Promise<void>(() => undefined); // Toss leaves the page
        },
      }),
    };
    const message = "사용자에 의해 결제가 취소되었습니다.";
    const url = `/family/pay/fail?booking=b1&code=PAY_PROCESS_CANCELED&message=${encodeURIComponent(message)}&orderId=${ORDER}`;
    renderSignedIn(`${server.url}/api`, "/family/pay/fail", url, <PayFailPage load={() => Promise.resolve(sdk)} />);
    const failure = await screen.findByTestId("toss-failure");
    expect(failure.textContent).toContain(message);
    expect(failure.textContent).toContain("PAY_PROCESS_CANCELED");
    await userEvent.click(screen.getByRole("button", { name: "다시 결제하기" }));
    await expect.poll(() => requested.length, { timeout: 5000 }).toBe(1);
    expect(requested[0]).toMatchObject({ orderId: ORDER, amount: { currency: "KRW", value: 6814 } });
  });

  it("shows a generic line when Toss sent no message, and no retry without a booking", async () => {
    const server = await serve((_req, _body, res) => problem(res, 404, "not_found"));
    renderSignedIn(`${server.url}/api`, "/family/pay/fail", "/family/pay/fail?code=PAY_PROCESS_ABORTED", <PayFailPage />);
    expect((await screen.findByTestId("toss-failure")).textContent).toContain("결제가 취소되었거나 실패했습니다");
    expect(screen.queryByRole("button", { name: "다시 결제하기" })).toBeNull();
    expect(server.requests.filter((r) => r.url.startsWith("/api/v1/payment"))).toHaveLength(0);
  });
});
