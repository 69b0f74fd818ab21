import { Alert, Anchor, Button, Card, Code, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "react-router";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatKrw } from "../../format";
import { localeOf } from "../../i18n";
import { confirmKey, parseFailure, parseSuccess, type LoadToss } from "../../payments/toss";
import { usePay } from "../../payments/usePay";

type Payment = Schemas["PaymentOut"];
/** Answers that mean "the outcome is being settled": asked again after a pause. */
const SETTLING = ["idempotency_request_in_progress", "payment_in_progress", "payment_outcome_unknown"];
const TOSS_MESSAGE_MAX = 300;

function BackToBooking({ bookingId }: { bookingId: string | null }) {
  const { t } = useTranslation();
  return bookingId ? (
    <Anchor component={Link} to={`/family/bookings/${bookingId}`}>
      {t("payResult.backToBooking")}
    </Anchor>
  ) : (
    <Anchor component={Link} to="/family/bookings">
      {t("payResult.backToBookings")}
    </Anchor>
  );
}

/**
 * Toss's success redirect: confirm the payment on our server with what Toss returned (the server
 * recomputes the amount and refuses another one). The Idempotency-Key is made of the redirect's
 * parameters, so reloading this page replays the first answer and charges nothing more.
 */
export function PaySuccessPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const { search } = useLocation();
  const success = useMemo(() => parseSuccess(search), [search]);
  // A query, not a mutation: one request per redirect even when React renders twice; the
  // answer is kept for the page's life (no refetch on focus).
  const confirm = useQuery({
    queryKey: ["toss-confirm", success ? confirmKey(success) : ""],
    enabled: success !== null,
    queryFn: async (): Promise<Payment> => {
      if (!success) throw new Error("unreachable");
      return unwrap(
        api.POST("/v1/payments/by-order/{order_id}/confirm", {
          params: {
            path: { order_id: success.orderId },
            header: { "Idempotency-Key": confirmKey(success) },
          },
          body: { payment_key: success.paymentKey, amount_krw: success.amount },
        }),
      );
    },
    retry: (count, error) => count < 5 && SETTLING.includes(toProblem(error).code),
    retryDelay: 2000,
    staleTime: Infinity,
    gcTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const problem = confirm.error ? toProblem(confirm.error) : null;
  const alreadyPaid = problem?.code === "payment_already_confirmed";

  return (
    <Stack maw={640}>
      <Title order={2}>{t("payResult.successTitle")}</Title>
      <Card withBorder component="section" aria-labelledby="pay-result">
        <Title order={3} size="h4" id="pay-result" mb="xs">
          {t("payResult.confirmTitle")}
        </Title>
        {success === null ? (
          <Alert color="red" role="alert" title={t("common.error")}>
            {t("payResult.badRedirect")}
          </Alert>
        ) : confirm.isPending ? (
          <Stack gap="xs">
            <Text size="sm">{t("payResult.confirming")}</Text>
            <Loading />
          </Stack>
        ) : confirm.data?.status === "paid" ? (
          <Alert color="teal" role="status" data-testid="paid" data-order={confirm.data.order_id}>
            {t("pay.done", { amount: formatKrw(confirm.data.amount_krw, locale) })}
          </Alert>
        ) : alreadyPaid ? (
          <Alert color="teal" role="status" data-testid="paid">
            {t("payResult.alreadyPaid")}
          </Alert>
        ) : confirm.data ? (
          <Alert color="yellow" role="status" data-testid="pay-status" data-status={confirm.data.status}>
            {t("payResult.notPaid", { status: confirm.data.status })}
          </Alert>
        ) : (
          <div data-testid="confirm-problem" data-code={problem?.code}>
            <ProblemAlert problem={problem} />
          </div>
        )}
      </Card>
      <BackToBooking bookingId={success?.bookingId ?? new URLSearchParams(search).get("booking")} />
    </Stack>
  );
}

/**
 * Toss's fail redirect: Toss's own code and message, and a new attempt for the booking.
 * `load` replaces the SDK loader (tests only).
 */
export function PayFailPage({ load }: { load?: LoadToss } = {}) {
  const { t } = useTranslation();
  const { search } = useLocation();
  const failure = useMemo(() => parseFailure(search), [search]);
  const [started, setStarted] = useState(false);
  const pay = usePay(failure.bookingId ?? "", () => undefined, load);
  const message = failure.message.slice(0, TOSS_MESSAGE_MAX);

  return (
    <Stack maw={640}>
      <Title order={2}>{t("payResult.failTitle")}</Title>
      <Card withBorder component="section" aria-labelledby="pay-failed">
        <Title order={3} size="h4" id="pay-failed" mb="xs">
          {t("payResult.failHeading")}
        </Title>
        <Alert color="red" role="alert" data-testid="toss-failure" data-code={failure.code}>
          <Stack gap={4}>
            <Text size="sm">{message || t("payResult.failNoMessage")}</Text>
            {failure.code ? (
              <Text size="xs">
                {t("payResult.failCode")} <Code>{failure.code}</Code>
              </Text>
            ) : null}
          </Stack>
        </Alert>
        <Text size="sm" mt="xs">
          {t("payResult.nothingCharged")}
        </Text>
        {failure.bookingId ? (
          <Button
            mt="sm"
            loading={pay.isPending || (started && pay.isSuccess)}
            onClick={() => {
              setStarted(true);
              pay.mutate();
            }}
          >
            {t("payResult.retry")}
          </Button>
        ) : null}
        <ProblemAlert problem={pay.error ? toProblem(pay.error) : null} />
      </Card>
      <BackToBooking bookingId={failure.bookingId} />
    </Stack>
  );
}
