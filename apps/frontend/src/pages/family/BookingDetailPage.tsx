import { Alert, Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ReviewCard } from "../../components/ReviewCard";
import { CareLogView, VisitStatus } from "../../components/VisitStatus";
import { formatDateTime, formatKrw } from "../../format";
import { localeOf } from "../../i18n";
import { usePay, usePaymentConfig } from "../../payments/usePay";

type Split = Schemas["ChargeSplitOut"];
type Payment = Schemas["PaymentOut"];
const PAYABLE = ["requested", "offered", "confirmed"];
const CANCELLABLE = ["requested", "offered", "confirmed"];
const REVIEWABLE = ["completed", "settled"];
const VISITED = ["confirmed", "in_progress", "completed", "settled", "no_show"];

/** The split of one visit: NHIS, co-pay, above the month's limit, non-insured; the family's total. */
export function SplitTable({ split, locale }: { split: Split; locale: string }) {
  const { t } = useTranslation();
  const rows: [string, number, string][] = [
    ["split.amount", split.amount_krw, "amount"],
    ["split.nhis", split.nhis_krw, "nhis"],
    ["split.copay", split.copay_krw, "copay"],
    ["split.aboveLimit", split.above_limit_krw, "above_limit"],
    ["split.private", split.private_krw, "private"],
  ];
  return (
    <Table withRowBorders aria-label={t("split.title")} data-testid="split">
      <Table.Tbody>
        {rows.map(([label, value, key]) => (
          <Table.Tr key={key} data-part={key}>
            <Table.Th scope="row">{t(label)}</Table.Th>
            <Table.Td ta="right">{formatKrw(value, locale)}</Table.Td>
          </Table.Tr>
        ))}
        <Table.Tr data-part="family">
          <Table.Th scope="row">{t("split.family")}</Table.Th>
          <Table.Td ta="right" fw={700}>
            {formatKrw(split.family_krw, locale)}
          </Table.Td>
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

/** One booking: the cost split before it is confirmed, payment, and cancellation with its fee. */
export default function BookingDetailPage() {
  const { t, i18n } = useTranslation();
  const { bookingId = "" } = useParams();
  const api = useApi();
  const queryClient = useQueryClient();
  const locale = localeOf(i18n.language);
  const path = { params: { path: { booking_id: bookingId } } };
  const booking = useQuery({
    queryKey: ["bookings", bookingId],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}", path)),
  });
  const split = useQuery({
    queryKey: ["bookings", bookingId, "split"],
    queryFn: () => unwrap(api.GET("/v1/billing/bookings/{booking_id}/split", path)),
  });
  const [payment, setPayment] = useState<Payment | null>(null);
  const [showTerms, setShowTerms] = useState(false);
  const terms = useQuery({
    queryKey: ["bookings", bookingId, "cancellation"],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}/cancellation", path)),
    enabled: showTerms,
    staleTime: 0,
  });

  // The server computes the amount (the family's share); manual confirms at once, Toss opens
  // its payment window and comes back on /family/pay/success or /family/pay/fail.
  const pay = usePay(bookingId, setPayment);
  const paymentConfig = usePaymentConfig();
  const cancel = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/bookings/{booking_id}/status", {
          ...path,
          body: { status: "cancelled_by_family" },
        }),
      ),
    onSuccess: () => {
      setShowTerms(false);
      void queryClient.invalidateQueries({ queryKey: ["bookings"] });
    },
  });

  if (booking.isPending) return <Loading />;
  if (booking.error) return <ProblemAlert problem={toProblem(booking.error)} />;
  const b = booking.data;
  const month = split.data?.month;
  const paid = payment?.status === "paid";

  return (
    <Stack>
      <Anchor component={Link} to="/family/bookings" size="sm">
        {t("bookingDetail.back")}
      </Anchor>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{t("bookingDetail.title")}</Title>
        <Badge variant="light" data-status={b.status} data-testid="booking-status">
          {t(`bookingStatus.${b.status}`)}
        </Badge>
      </Group>
      <Group justify="space-between" wrap="wrap">
        <Text>
          {formatDateTime(b.start_at, locale)} – {formatDateTime(b.end_at, locale)}
        </Text>
        {b.caregiver_id ? (
          <Anchor component={Link} to={`/messages/${b.id}`}>
            {t("messages.open")}
          </Anchor>
        ) : null}
      </Group>
      {VISITED.includes(b.status) ? (
        <SimpleGrid cols={{ base: 1, md: REVIEWABLE.includes(b.status) ? 2 : 1 }}>
          <VisitStatus bookingId={b.id} locale={locale} />
          {REVIEWABLE.includes(b.status) ? <CareLogView bookingId={b.id} locale={locale} /> : null}
        </SimpleGrid>
      ) : null}
      {REVIEWABLE.includes(b.status) ? <ReviewCard bookingId={b.id} /> : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder component="section" aria-labelledby="split-title">
          <Title order={3} size="h4" id="split-title" mb="xs">
            {t("split.title")}
          </Title>
          {split.isPending ? <Loading /> : null}
          <ProblemAlert problem={split.error ? toProblem(split.error) : null} />
          {split.data ? <SplitTable split={split.data.booking} locale={locale} /> : null}
          {month ? (
            <Text size="sm" mt="xs" data-testid="month">
              {month.limit_krw === null
                ? t("split.noGrade")
                : t("split.month", {
                    month: month.month,
                    grade: month.care_grade ?? "",
                    percent: month.copay_percent ?? 0,
                    used: formatKrw(month.limit_used_krw, locale),
                    limit: formatKrw(month.limit_krw, locale),
                  })}
            </Text>
          ) : null}
          {month && month.unverified_figures.length > 0 ? (
            <Alert color="yellow" mt="xs">
              {t("split.unverified", { year: month.table_year })}
            </Alert>
          ) : null}
        </Card>
        <Stack>
          <Card withBorder component="section" aria-labelledby="pay-title">
            <Title order={3} size="h4" id="pay-title" mb="xs">
              {t("pay.title")}
            </Title>
            {paid ? (
              <Alert color="teal" role="status" data-testid="paid">
                {t("pay.done", { amount: formatKrw(payment.amount_krw, locale) })}
              </Alert>
            ) : PAYABLE.includes(b.status) && split.data ? (
              <Stack gap="xs">
                {paymentConfig.data ? (
                  <Text size="sm" data-testid="pay-provider" data-provider={paymentConfig.data.provider}>
                    {paymentConfig.data.provider === "toss" ? t("pay.toss") : t("pay.manual")}
                  </Text>
                ) : null}
                <Button loading={pay.isPending} onClick={() => pay.mutate()} disabled={split.data.booking.family_krw === 0}>
                  {t("pay.button", { amount: formatKrw(split.data.booking.family_krw, locale) })}
                </Button>
              </Stack>
            ) : (
              <Text size="sm">{t("pay.notPayable")}</Text>
            )}
            <ProblemAlert problem={pay.error ? toProblem(pay.error) : null} />
          </Card>
          {CANCELLABLE.includes(b.status) ? (
            <Card withBorder component="section" aria-labelledby="cancel-title">
              <Title order={3} size="h4" id="cancel-title" mb="xs">
                {t("cancel.title")}
              </Title>
              {!showTerms ? (
                <Button variant="default" onClick={() => setShowTerms(true)}>
                  {t("cancel.showTerms")}
                </Button>
              ) : null}
              {showTerms && terms.isPending ? <Loading /> : null}
              {showTerms && terms.data ? (
                <Stack gap="xs" data-testid="cancel-terms" data-free={String(terms.data.free)}>
                  <Text size="sm">
                    {terms.data.free
                      ? t("cancel.free", { until: formatDateTime(terms.data.free_until, locale) })
                      : t("cancel.late", {
                          until: formatDateTime(terms.data.free_until, locale),
                          percent: terms.data.charge_percent,
                        })}
                  </Text>
                  <Text size="sm">
                    {t("cancel.fee", {
                      fee: formatKrw(terms.data.charge_krw, locale),
                      refund: formatKrw(terms.data.refund_krw, locale),
                    })}
                  </Text>
                  <Group>
                    <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate()}>
                      {t("cancel.confirm")}
                    </Button>
                    <Button variant="subtle" onClick={() => setShowTerms(false)}>
                      {t("cancel.keep")}
                    </Button>
                  </Group>
                </Stack>
              ) : null}
              <ProblemAlert problem={terms.error ? toProblem(terms.error) : cancel.error ? toProblem(cancel.error) : null} />
            </Card>
          ) : null}
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
