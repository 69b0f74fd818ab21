import { Alert, Badge, Button, Card, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { CareLogForm } from "../../components/CareLogForm";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDateTime, formatTime } from "../../format";
import { currentFix, FixError, isPoor, type Fix, type FixFailure } from "../../geolocation";
import { localeOf } from "../../i18n";
import { isSeoulDay, seoulDate } from "../../schedule";

type Booking = Schemas["BookingOut"];
type CheckResult = Schemas["CheckResultOut"];

/** Every booking the caregiver may see (a few pages of 100 at most). */
export async function allBookings(api: Api): Promise<Booking[]> {
  const out: Booking[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const query: { limit: number; cursor?: string } = cursor ? { limit: 100, cursor } : { limit: 100 };
    const data = await unwrap(api.GET("/v1/bookings", { params: { query } }));
    out.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return out;
}

type Step =
  | { kind: "idle" }
  | { kind: "locating" }
  | { kind: "failed"; reason: FixFailure }
  | { kind: "poor"; fix: Fix };

/** Check-in or check-out with the phone's position; poor accuracy is shown before sending. */
function CheckButton({
  booking,
  action,
  onResult,
}: {
  booking: Booking;
  action: "check-in" | "check-out";
  onResult: (result: CheckResult) => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [tag, setTag] = useState("");
  const send = useMutation({
    mutationFn: (fix: Fix) => {
      const body = { ...fix, tag_code: tag.trim() === "" ? null : tag.trim() };
      const params = { params: { path: { booking_id: booking.id } }, body };
      return unwrap(
        action === "check-in"
          ? api.POST("/v1/bookings/{booking_id}/check-in", params)
          : api.POST("/v1/bookings/{booking_id}/check-out", params),
      );
    },
    onSuccess: (checked) => {
      onResult(checked);
      setStep({ kind: "idle" });
      void queryClient.invalidateQueries({ queryKey: ["bookings"] });
    },
  });
  const locate = async () => {
    setStep({ kind: "locating" });
    try {
      const fix = await currentFix();
      if (isPoor(fix)) setStep({ kind: "poor", fix });
      else send.mutate(fix);
    } catch (error) {
      setStep({ kind: "failed", reason: error instanceof FixError ? error.reason : "unavailable" });
    }
  };
  const label = action === "check-in" ? t("today.checkIn") : t("today.checkOut");

  return (
    <Stack gap="xs">
      <TextInput
        label={t("today.tag")}
        description={t("today.tagHelp")}
        value={tag}
        onChange={(e) => setTag(e.currentTarget.value)}
        maw={360}
      />
      <Group>
        <Button onClick={() => void locate()} loading={step.kind === "locating" || send.isPending}>
          {label}
        </Button>
      </Group>
      {step.kind === "failed" ? (
        <Alert color="red" role="alert" title={t(`geo.${step.reason}`)} data-testid="geo-error" data-reason={step.reason}>
          {t(`geo.${step.reason}Help`)}
        </Alert>
      ) : null}
      {step.kind === "poor" ? (
        <Alert color="yellow" role="alert" title={t("geo.poor", { m: Math.round(step.fix.accuracy_m) })} data-testid="geo-poor">
          <Text size="sm">{t("geo.poorHelp")}</Text>
          <Group mt="xs">
            <Button size="xs" variant="default" onClick={() => void locate()}>
              {t("geo.retry")}
            </Button>
            <Button size="xs" onClick={() => send.mutate(step.fix)}>
              {t("geo.sendAnyway")}
            </Button>
          </Group>
        </Alert>
      ) : null}
      <ProblemAlert problem={send.error ? toProblem(send.error) : null} />
    </Stack>
  );
}

/** What the server recorded: distance from the home, and any exception for the agency. */
function CheckResultAlert({ result }: { result: CheckResult }) {
  const { t } = useTranslation();
  const checkIn = result.check.kind === "check_in";
  return (
    <Alert
      color={result.exceptions.length ? "yellow" : "teal"}
      role="status"
      data-testid="check-result"
      title={checkIn ? t("today.checkedIn") : t("today.checkedOut")}
      mt="xs"
    >
      <Text size="sm">
        {t("today.distance", { m: Math.round(result.check.distance_m), allowed: Math.round(result.check.allowed_m) })}
      </Text>
      {result.exceptions.map((e) => (
        <Text size="sm" key={e.id} data-testid="check-exception">
          {t(`exceptionReason.${e.reason}`)}
        </Text>
      ))}
      {result.exceptions.length ? <Text size="sm">{t("today.reviewed")}</Text> : null}
    </Alert>
  );
}

function VisitCard({ booking, locale }: { booking: Booking; locale: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const answer = useMutation({
    mutationFn: (status: "confirmed" | "declined") =>
      unwrap(api.POST("/v1/bookings/{booking_id}/status", { params: { path: { booking_id: booking.id } }, body: { status } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["bookings"] }),
  });
  // Kept here, not in the button: the check moves the visit on and the button is replaced.
  const [result, setResult] = useState<CheckResult | null>(null);
  const heading = `visit-${booking.id}`;
  return (
    <Card withBorder component="article" aria-labelledby={heading} data-testid="visit" data-status={booking.status} data-booking={booking.id}>
      <Group justify="space-between" wrap="wrap" mb="xs">
        <div>
          <Title order={3} size="h5" id={heading}>
            {formatTime(booking.start_at, locale)} – {formatTime(booking.end_at, locale)}
          </Title>
          <Text size="sm">
            {formatDateTime(booking.start_at, locale)} · {t(`service.${booking.service_type}`)}
          </Text>
        </div>
        <Badge variant="light" data-status={booking.status}>
          {t(`bookingStatus.${booking.status}`)}
        </Badge>
      </Group>
      {booking.status === "offered" ? (
        <Group>
          <Button onClick={() => answer.mutate("confirmed")} loading={answer.isPending && answer.variables === "confirmed"}>
            {t("offers.accept")}
          </Button>
          <Button variant="default" onClick={() => answer.mutate("declined")} loading={answer.isPending && answer.variables === "declined"}>
            {t("offers.decline")}
          </Button>
        </Group>
      ) : null}
      <ProblemAlert problem={answer.error ? toProblem(answer.error) : null} />
      {booking.status === "confirmed" ? <CheckButton booking={booking} action="check-in" onResult={setResult} /> : null}
      {booking.status === "in_progress" ? <CheckButton booking={booking} action="check-out" onResult={setResult} /> : null}
      {result ? <CheckResultAlert result={result} /> : null}
      {booking.status === "completed" ? <CareLogForm booking={booking} /> : null}
    </Card>
  );
}

/**
 * The visits "today" lists at `now` (ms): those under way; confirmed or completed ones that start
 * on the Seoul day or whose check-in window is open (two hours before the start, so a visit just
 * after midnight shows the evening before); completed ones also when they end on the Seoul day.
 * A completed visit stays for its care-log form: one into the night (23:00–01:00) ends on the
 * next day, and one checked out before a start just after midnight starts tomorrow; both used to
 * vanish, with the form, once checked out.
 */
export function isTodaysVisit(b: Booking, now: number): boolean {
  if (b.status === "in_progress") return true;
  if (b.status !== "confirmed" && b.status !== "completed") return false;
  const today = seoulDate(0, now);
  const windowOpen = Date.parse(b.start_at) <= now + 2 * 3_600_000 && Date.parse(b.end_at) >= now;
  return isSeoulDay(b.start_at, today) || windowOpen || (b.status === "completed" && isSeoulDay(b.end_at, today));
}

/** The caregiver's day: visits asked of them, today's visits with check-in/out, care logs. */
export default function TodayPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const bookings = useQuery({ queryKey: ["bookings", "all"], queryFn: () => allBookings(api) });
  const now = new Date().toISOString();
  const byStart = (a: Booking, b: Booking) => a.start_at.localeCompare(b.start_at);
  const asked = (bookings.data ?? []).filter((b) => b.status === "offered" && b.start_at > now).sort(byStart);
  const clock = Date.parse(now);
  const visits = (bookings.data ?? []).filter((b) => isTodaysVisit(b, clock)).sort(byStart);

  return (
    <Stack>
      <Title order={2}>{t("today.title")}</Title>
      <Text>{t("today.intro")}</Text>
      {bookings.isPending ? <Loading /> : null}
      <ProblemAlert problem={bookings.error ? toProblem(bookings.error) : null} />
      {asked.length > 0 ? (
        <Stack component="section" aria-labelledby="asked-title" gap="xs">
          <Title order={3} size="h4" id="asked-title">
            {t("today.asked")}
          </Title>
          {asked.map((b) => (
            <VisitCard key={b.id} booking={b} locale={locale} />
          ))}
        </Stack>
      ) : null}
      <Stack component="section" aria-labelledby="today-title" gap="xs">
        <Title order={3} size="h4" id="today-title">
          {t("today.visits")}
        </Title>
        {bookings.data && visits.length === 0 ? <Text>{t("today.empty")}</Text> : null}
        {visits.map((b) => (
          <VisitCard key={b.id} booking={b} locale={locale} />
        ))}
      </Stack>
    </Stack>
  );
}
