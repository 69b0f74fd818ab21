import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";
import { ApiError, unwrap } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { requestTossPayment, type LoadToss } from "./toss";

type Payment = Schemas["PaymentOut"];
export const PAYMENT_CONFIG_KEY = ["payment-config"] as const;

/** The provider's payment key for the dev `manual` provider (no payment window to open). */
function manualPaymentKey(): string {
  return `manual_${crypto.randomUUID()}`;
}

function problem(code: string, title: string): ApiError {
  return new ApiError({ code, title, status: 0 });
}

/** The server's payment provider and Toss's public client key (`GET /v1/payment-config`). */
export function usePaymentConfig() {
  const api = useApi();
  return useQuery({
    queryKey: PAYMENT_CONFIG_KEY,
    queryFn: () => unwrap(api.GET("/v1/payment-config")),
    staleTime: 5 * 60_000,
  });
}

/**
 * Pay a booking: the server creates the payment with its own amount; then `manual` (dev)
 * confirms at once, `toss` opens Toss's payment window, which leaves the page for our success
 * or fail route (the mutation then resolves with null).
 */
export function usePay(bookingId: string, onPaid: (payment: Payment) => void, load?: LoadToss) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (): Promise<Payment | null> => {
      const config = await queryClient.query({
        queryKey: PAYMENT_CONFIG_KEY,
        queryFn: () => unwrap(api.GET("/v1/payment-config")),
        staleTime: 5 * 60_000,
      });
      const created = await unwrap(
        api.POST("/v1/bookings/{booking_id}/payment", { params: { path: { booking_id: bookingId } } }),
      );
      if (created.status === "paid") return created;
      if (created.provider === "toss") {
        if (!config.toss_client_key) throw problem("payments_not_configured", "No Toss client key");
        try {
          await requestTossPayment({
            clientKey: config.toss_client_key,
            customerKey: config.customer_key,
            payment: created,
            orderName: t("pay.orderName"),
            origin: window.location.origin,
            ...(load ? { load } : {}),
          });
        } catch (error) {
          throw problem("toss_window_error", error instanceof Error ? error.message : String(error));
        }
        return null;
      }
      if (created.provider !== "manual") throw problem("provider_not_supported", created.provider);
      return unwrap(
        api.POST("/v1/payments/{payment_id}/confirm", {
          params: {
            path: { payment_id: created.id },
            header: { "Idempotency-Key": `confirm-${created.id}` },
          },
          body: { payment_key: manualPaymentKey(), amount_krw: created.amount_krw },
        }),
      );
    },
    onSuccess: (paid) => {
      if (paid) onPaid(paid);
      void queryClient.invalidateQueries({ queryKey: ["bookings", bookingId] });
    },
  });
}
