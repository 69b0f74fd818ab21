import { Alert, Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ScoreBreakdown } from "../../components/ScoreBreakdown";
import { formatDateTime, formatKrw, weekdayName } from "../../format";
import { localeOf } from "../../i18n";
import { seoulMonth } from "../../schedule";

type CareRequest = Schemas["CareRequestOut"];
type Caregiver = Schemas["CaregiverOut"];

function ScheduleText({ request, locale }: { request: CareRequest; locale: string }) {
  const { t } = useTranslation();
  const s = request.schedule;
  if (s.kind === "one_off") {
    return (
      <Text>
        {formatDateTime(s.start_at, locale)} · {t("bookings.minutes", { count: s.duration_minutes })}
      </Text>
    );
  }
  return (
    <Text>
      {s.slots.map((slot) => `${weekdayName(slot.weekday, locale)} ${slot.start}`).join(", ")} ·{" "}
      {t("bookings.minutes", { count: s.slots[0]?.duration_minutes ?? 0 })} ·{" "}
      {s.count ? t("careRequests.fromCount", { date: s.start_date, count: s.count }) : s.start_date}
    </Text>
  );
}

/** The month's long-term-care budget for the recipient, before a visit is added to it. */
function MonthBudget({ recipientId, month, locale }: { recipientId: string; month: string; locale: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const query = useQuery({
    queryKey: ["billing-month", recipientId, month],
    queryFn: () =>
      unwrap(
        api.GET("/v1/billing/recipients/{recipient_id}/months/{month}", {
          params: { path: { recipient_id: recipientId, month } },
        }),
      ),
  });
  if (query.isPending) return <Loading />;
  if (query.error) return <ProblemAlert problem={toProblem(query.error)} />;
  const m = query.data;
  return (
    <Card withBorder component="section" aria-labelledby="budget-title" data-testid="budget">
      <Title order={3} size="h4" id="budget-title" mb="xs">
        {t("careRequests.budget")}
      </Title>
      {m.limit_krw === null ? (
        <Text size="sm">{t("split.noGrade")}</Text>
      ) : (
        <Stack gap={4}>
          <Text size="sm">
            {t("split.month", {
              month: m.month,
              grade: m.care_grade ?? "",
              percent: m.copay_percent ?? 0,
              used: formatKrw(m.limit_used_krw, locale),
              limit: formatKrw(m.limit_krw, locale),
            })}
          </Text>
          <Text size="sm" fw={700}>
            {t("careRequests.remaining", { amount: formatKrw(m.limit_remaining_krw ?? 0, locale) })}
          </Text>
        </Stack>
      )}
      <Text size="sm" mt="xs">
        {t("careRequests.splitNext")}
      </Text>
    </Card>
  );
}

function CandidateCard({
  candidate,
  caregiver,
  locale,
  open,
  busy,
  onChoose,
}: {
  candidate: Schemas["CandidateOut"];
  caregiver: Caregiver | undefined;
  locale: string;
  open: boolean;
  busy: boolean;
  onChoose: () => void;
}) {
  const { t } = useTranslation();
  const title = t("careRequests.rank", { rank: candidate.rank });
  return (
    <Card withBorder component="article" aria-label={title} data-testid="candidate" data-rank={candidate.rank} data-caregiver={candidate.caregiver_id}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Text fw={700}>{title}</Text>
          {caregiver ? (
            <Text size="sm">
              {t(`gender.${caregiver.gender}`)} · {caregiver.languages.map((l) => t(`lang.${l}`)).join(", ")}
            </Text>
          ) : null}
          {caregiver ? (
            <Text size="sm">
              {caregiver.rating_avg !== null
                ? t("caregivers.rating", { rating: caregiver.rating_avg.toFixed(1), count: caregiver.rating_count })
                : t("caregivers.noRating")}
              {" · "}
              {t("caregivers.rate", { rate: formatKrw(caregiver.hourly_rate_krw, locale) })}
            </Text>
          ) : null}
        </div>
        <Stack gap={2} align="flex-end">
          <Badge variant="light" size="lg">
            {t("careRequests.score", { score: (candidate.score * 100).toFixed(0) })}
          </Badge>
          <Text size="sm">{t("careRequests.distance", { km: candidate.distance_km.toFixed(1) })}</Text>
        </Stack>
      </Group>
      <Text size="sm" fw={700} mt="sm">
        {t("why.title")}
      </Text>
      <ScoreBreakdown breakdown={candidate.breakdown} label={t("why.tableOf", { rank: candidate.rank })} />
      {open ? (
        <Button mt="sm" onClick={onChoose} loading={busy} aria-label={t("careRequests.chooseNamed", { rank: candidate.rank })}>
          {t("careRequests.choose")}
        </Button>
      ) : null}
    </Card>
  );
}

/** One care request: the ranked caregivers and why, then pick one or dispatch in waves. */
export default function CareRequestDetailPage() {
  const { t, i18n } = useTranslation();
  const { requestId = "" } = useParams();
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const locale = localeOf(i18n.language);
  const request = useQuery({
    queryKey: ["care-requests", requestId],
    queryFn: () =>
      unwrap(api.GET("/v1/care-requests/{care_request_id}", { params: { path: { care_request_id: requestId } } })),
  });
  const caregivers = useQueries({
    queries: (request.data?.candidates ?? []).map((c) => ({
      queryKey: ["caregivers", c.caregiver_id],
      queryFn: () =>
        unwrap(api.GET("/v1/caregivers/{caregiver_id}", { params: { path: { caregiver_id: c.caregiver_id } } })),
      staleTime: 60_000,
    })),
  });
  const byId = new Map(caregivers.flatMap((q) => (q.data ? [[q.data.id, q.data] as const] : [])));
  const after = (done: CareRequest) => {
    void queryClient.invalidateQueries({ queryKey: ["care-requests"] });
    void queryClient.invalidateQueries({ queryKey: ["bookings"] });
    if (done.booking_id) void navigate(`/family/bookings/${done.booking_id}`);
  };
  const path = { params: { path: { care_request_id: requestId } } };
  const choose = useMutation({
    mutationFn: (caregiverId: string) =>
      unwrap(api.POST("/v1/care-requests/{care_request_id}/choose", { ...path, body: { caregiver_id: caregiverId } })),
    onSuccess: after,
  });
  const dispatch = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/care-requests/{care_request_id}/dispatch", path)),
    onSuccess: after,
  });

  if (request.isPending) return <Loading />;
  if (request.error) return <ProblemAlert problem={toProblem(request.error)} />;
  const r = request.data;
  const open = r.status === "open";
  const first = r.schedule.kind === "one_off" ? r.schedule.start_at : `${r.schedule.start_date}T12:00:00+09:00`;
  const excluded = Object.entries(r.excluded).filter(([, n]) => n > 0);

  return (
    <Stack>
      <Anchor component={Link} to="/family/care-requests" size="sm">
        {t("careRequests.back")}
      </Anchor>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{t("careRequests.detail")}</Title>
        <Badge variant="light" data-status={r.status} data-testid="care-request-status">
          {t(`careRequestStatus.${r.status}`)}
        </Badge>
      </Group>
      <ScheduleText request={r} locale={locale} />
      <Text size="sm" data-testid="considered">
        {t("careRequests.considered", { considered: r.considered, count: r.candidates.length })}
        {excluded.length > 0
          ? ` ${t("careRequests.excluded", {
              list: excluded.map(([k, n]) => `${t(`excluded.${k}`, { defaultValue: k })} ${n}`).join(", "),
            })}`
          : ""}
      </Text>
      {r.booking_id ? (
        <Alert color="teal" role="status" data-testid="led-to">
          <Anchor component={Link} to={`/family/bookings/${r.booking_id}`}>
            {t("careRequests.toBooking")}
          </Anchor>
        </Alert>
      ) : null}
      <ProblemAlert
        problem={choose.error ? toProblem(choose.error) : dispatch.error ? toProblem(dispatch.error) : null}
      />
      <MonthBudget recipientId={r.recipient_id} month={seoulMonth(first)} locale={locale} />
      {open && r.candidates.length > 0 ? (
        <Card withBorder>
          <Group justify="space-between" wrap="wrap">
            <Text size="sm" maw={520}>
              {t("careRequests.dispatchHelp")}
            </Text>
            <Button variant="default" onClick={() => dispatch.mutate()} loading={dispatch.isPending}>
              {t("careRequests.dispatch")}
            </Button>
          </Group>
        </Card>
      ) : null}
      {r.candidates.length === 0 ? <Text>{t("careRequests.noCandidates")}</Text> : null}
      <Title order={3} size="h4">
        {t("careRequests.ranked")}
      </Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {r.candidates.map((c) => (
          <CandidateCard
            key={c.caregiver_id}
            candidate={c}
            caregiver={byId.get(c.caregiver_id)}
            locale={locale}
            open={open}
            busy={choose.isPending && choose.variables === c.caregiver_id}
            onChoose={() => choose.mutate(c.caregiver_id)}
          />
        ))}
      </SimpleGrid>
    </Stack>
  );
}
