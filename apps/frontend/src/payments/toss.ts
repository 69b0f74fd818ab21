/**
 * The Toss Payments path (production): open Toss's payment window with the server's order and
 * amount, then read what Toss's redirect hands back to our success and fail pages.
 *
 * The SDK (`@tosspayments/tosspayments-sdk`, v2) is a loader: `loadTossPayments(clientKey)`
 * injects https://js.tosspayments.com/v2/standard (allowed by the production CSP only where
 * payments are Toss) and calls its `TossPayments(clientKey)` factory. It is imported on demand,
 * so the `manual` dev path never loads it.
 */
import type { Schemas } from "../api/client";

type Payment = Schemas["PaymentOut"];

/** The part of the SDK's surface we use (`TossPayments(clientKey).payment({customerKey})`). */
export interface TossPaymentWindow {
  requestPayment(request: {
    method: "CARD";
    amount: { currency: "KRW"; value: number };
    orderId: string;
    orderName: string;
    successUrl: string;
    failUrl: string;
  }): Promise<void>;
}
export interface TossSdk {
  payment(params: { customerKey: string }): TossPaymentWindow;
}
export type LoadToss = (clientKey: string) => Promise<TossSdk>;

export const SUCCESS_PATH = "/family/pay/success";
export const FAIL_PATH = "/family/pay/fail";

async function loadSdk(clientKey: string): Promise<TossSdk> {
  const { loadTossPayments } = await import("@tosspayments/tosspayments-sdk");
  return loadTossPayments(clientKey);
}

/** Where Toss sends the family back: our own origin, with the booking to return to. */
export function redirectUrls(origin: string, bookingId: string): { successUrl: string; failUrl: string } {
  const query = `?booking=${encodeURIComponent(bookingId)}`;
  return { successUrl: `${origin}${SUCCESS_PATH}${query}`, failUrl: `${origin}${FAIL_PATH}${query}` };
}

/**
 * Open Toss's payment window for the server's payment (its order id and amount, never a figure
 * of ours). Resolves when the window has been opened; Toss then navigates to successUrl/failUrl.
 */
export async function requestTossPayment(options: {
  clientKey: string;
  customerKey: string;
  payment: Payment;
  orderName: string;
  origin: string;
  load?: LoadToss;
}): Promise<void> {
  const { clientKey, customerKey, payment, orderName, origin } = options;
  const sdk = await (options.load ?? loadSdk)(clientKey);
  await sdk.payment({ customerKey }).requestPayment({
    method: "CARD",
    amount: { currency: "KRW", value: payment.amount_krw },
    orderId: payment.order_id,
    orderName,
    ...redirectUrls(origin, payment.booking_id),
  });
}

export interface TossSuccess {
  paymentKey: string;
  orderId: string;
  amount: number;
  bookingId: string | null;
}

/** Toss's success redirect (`?paymentKey&orderId&amount`); null when a parameter is missing or bad. */
export function parseSuccess(search: string): TossSuccess | null {
  const query = new URLSearchParams(search);
  const paymentKey = query.get("paymentKey") ?? "";
  const orderId = query.get("orderId") ?? "";
  const raw = query.get("amount") ?? "";
  if (!paymentKey || !orderId || !/^[1-9][0-9]{0,8}$/.test(raw)) return null;
  return { paymentKey, orderId, amount: Number(raw), bookingId: query.get("booking") };
}

/**
 * The Idempotency-Key of the confirm call: made of what the redirect carries, so a reload (or a
 * second visit) of the same success URL replays the first answer instead of confirming again,
 * while a different URL (another amount) is a different request the server judges on its own.
 */
export function confirmKey(success: TossSuccess): string {
  // Toss's paymentKey is unique per payment; the amount is in it so that a different amount is
  // judged by the server (amount_mismatch), not refused as a reused key. At most 5 + 200 + 1 + 9
  // printable ASCII characters: within the API's 255 (the server refuses other payment keys).
  return `toss:${success.paymentKey}:${String(success.amount)}`;
}

export interface TossFailure {
  code: string;
  message: string;
  orderId: string | null;
  bookingId: string | null;
}

/** Toss's fail redirect (`?code&message&orderId`). */
export function parseFailure(search: string): TossFailure {
  const query = new URLSearchParams(search);
  return {
    code: query.get("code") ?? "",
    message: query.get("message") ?? "",
    orderId: query.get("orderId"),
    bookingId: query.get("booking"),
  };
}
