import { Alert, Card, List, Stack, Table, Text, Timeline, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";
import { toProblem, unwrap } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { useLiveEvents } from "../events/LiveEvents";
import { formatDateTime } from "../format";
import { Loading } from "./Loading";
import { ProblemAlert } from "./ProblemAlert";

type Visit = Schemas["VisitOut"];
export type VisitState = "planned" | "arrived" | "completed" | "cancelled";

/** Where a visit stands, from the verified visit (check-in = arrived and started). */
export function visitState(visit: Visit): VisitState {
  if (visit.check_out || visit.status === "completed" || visit.status === "settled") return "completed";
  if (visit.check_in || visit.status === "in_progress") return "arrived";
  if (["cancelled_by_family", "cancelled_by_caregiver", "declined", "expired", "no_show"].includes(visit.status)) {
    return "cancelled";
  }
  return "planned";
}

const LIVE_KINDS = ["caregiver_arrived", "visit_started", "visit_completed", "visit_exception"];

/** The family's live view of one visit: arrived / started / completed as the events arrive. */
export function VisitStatus({ bookingId, locale }: { bookingId: string; locale: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const live = useLiveEvents();
  const visit = useQuery({
    // Under ["bookings", id]: the visit events refresh it (LiveEvents invalidates ["bookings"]).
    queryKey: ["bookings", bookingId, "visit"],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}/visit", { params: { path: { booking_id: bookingId } } })),
  });
  // This visit's events since the page opened (arrived and started come together at check-in).
  const events = live.recent.filter((e) => LIVE_KINDS.includes(e.kind) && e.payload.booking_id === bookingId);
  if (visit.isPending) return <Loading />;
  if (visit.error) return <ProblemAlert problem={toProblem(visit.error)} />;
  const v = visit.data;
  const state = visitState(v);
  const active = { planned: 0, arrived: 1, completed: 2, cancelled: 0 }[state];

  return (
    <Card withBorder component="section" aria-labelledby="visit-title" data-testid="visit-status" data-state={state}>
      <Title order={3} size="h4" id="visit-title" mb="xs">
        {t("visit.title")}
      </Title>
      {events.length > 0 ? (
        <Alert color="teal" role="status" mb="sm">
          <Stack gap={2}>
            {events.map((e) => (
              <Text size="sm" key={e.id} data-testid="live-visit" data-kind={e.kind}>
                {t(`visit.live.${e.kind}`, {
                  name: typeof e.payload.caregiver_name === "string" ? e.payload.caregiver_name : "",
                })}
              </Text>
            ))}
          </Stack>
        </Alert>
      ) : null}
      <Text fw={700} data-testid="visit-state">
        {t(`visit.state.${state}`)}
      </Text>
      <Timeline active={active} bulletSize={16} lineWidth={2} mt="sm">
        <Timeline.Item title={t("visit.planned")}>
          <Text size="sm">{formatDateTime(v.start_at, locale)} – {formatDateTime(v.end_at, locale)}</Text>
        </Timeline.Item>
        <Timeline.Item title={t("visit.arrived")}>
          {v.started_at ? <Text size="sm">{formatDateTime(v.started_at, locale)}</Text> : null}
          {v.check_in ? (
            <Text size="sm">
              {t(v.check_in.inside_geofence ? "visit.inside" : "visit.outside", { m: Math.round(v.check_in.distance_m) })}
            </Text>
          ) : null}
        </Timeline.Item>
        <Timeline.Item title={t("visit.completed")}>
          {v.finished_at ? <Text size="sm">{formatDateTime(v.finished_at, locale)}</Text> : null}
        </Timeline.Item>
      </Timeline>
      {v.exceptions.length > 0 ? (
        <Stack gap={4} mt="sm">
          <Text size="sm" fw={700}>
            {t("visit.exceptions")}
          </Text>
          <List size="sm">
            {v.exceptions.map((e) => (
              <List.Item key={e.id} data-testid="visit-exception">
                {t(`exceptionReason.${e.reason}`)} · {t(`exceptionStatus.${e.status}`)}
              </List.Item>
            ))}
          </List>
        </Stack>
      ) : null}
    </Card>
  );
}

/** The care log as the family reads it (from check-out on). */
export function CareLogView({ bookingId, locale }: { bookingId: string; locale: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const log = useQuery({
    queryKey: ["bookings", bookingId, "care-log"],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}/care-log", { params: { path: { booking_id: bookingId } } })),
    retry: false,
  });
  const vitals = log.data
    ? Object.entries(log.data.vitals).filter((entry): entry is [string, number] => typeof entry[1] === "number")
    : [];
  return (
    <Card withBorder component="section" aria-labelledby="care-log-title" data-testid="care-log">
      <Title order={3} size="h4" id="care-log-title" mb="xs">
        {t("careLog.title")}
      </Title>
      {log.isPending ? <Loading /> : null}
      {log.error ? (
        toProblem(log.error).status === 404 ? (
          <Text size="sm">{t("careLog.none")}</Text>
        ) : (
          <ProblemAlert problem={toProblem(log.error)} />
        )
      ) : null}
      {log.data ? (
        <Stack gap="xs">
          <List size="sm" spacing={2}>
            {log.data.tasks.map((task) => (
              <List.Item key={task.task} data-done={String(task.done)}>
                {task.done ? "✓ " : "✗ "}
                {t(`task.${task.task}`)}
                {task.done ? "" : ` (${t("careLog.notDone")})`}
                {task.note ? ` — ${task.note}` : ""}
              </List.Item>
            ))}
          </List>
          {vitals.length > 0 ? (
            <Table aria-label={t("careLog.vitals")} withRowBorders={false}>
              <Table.Tbody>
                {vitals.map(([key, value]) => (
                  <Table.Tr key={key}>
                    <Table.Th scope="row">{t(`vital.${key}`)}</Table.Th>
                    <Table.Td>{value}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
          {log.data.notes ? <Text size="sm" data-testid="care-log-notes">{log.data.notes}</Text> : null}
          {log.data.addenda.map((a) => (
            <Text size="sm" key={a.version}>
              {t("careLog.addendum", { at: formatDateTime(a.created_at, locale) })} {a.text}
            </Text>
          ))}
          <Text size="xs">
            {t("careLog.updated", { at: formatDateTime(log.data.updated_at, locale), version: log.data.version })}
          </Text>
        </Stack>
      ) : null}
    </Card>
  );
}
