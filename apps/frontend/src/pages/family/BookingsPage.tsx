import { Alert, Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { z } from "zod";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useLiveEvents } from "../../events/LiveEvents";
import { tomorrowMorning } from "../../schedule";
import { formatDateTime, seoulLocalToIso } from "../../format";
import { localeOf } from "../../i18n";
import { useSchemaForm } from "../../forms";

export const bookingSchema = z.object({
  recipient_id: z.string().min(1, "v.required"),
  start_local: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, "v.dateTime"),
  duration_minutes: z.number().int().min(60).max(720),
});

const DURATIONS = [60, 90, 120, 180, 240, 300, 360, 480];
const STATUS_COLOR: Record<string, string> = {
  requested: "yellow",
  offered: "yellow",
  confirmed: "teal",
  in_progress: "blue",
  completed: "gray",
  settled: "gray",
  cancelled_by_family: "red",
  cancelled_by_caregiver: "red",
  declined: "red",
  expired: "gray",
  no_show: "red",
};

function BookingList({
  title,
  id,
  items,
  names,
  locale,
}: {
  title: string;
  id: string;
  items: Schemas["BookingOut"][];
  names: Map<string, string>;
  locale: string;
}) {
  const { t } = useTranslation();
  return (
    <Stack component="section" aria-labelledby={`bookings-${id}`} gap="xs">
      <Title order={3} size="h4" id={`bookings-${id}`}>
        {title}
      </Title>
      {items.length === 0 ? <Text>{t("bookings.none")}</Text> : null}
      {items.map((b) => (
        <Card key={b.id} withBorder padding="sm" data-testid="booking">
          <Group justify="space-between" wrap="wrap">
            <div>
              <Text fw={700}>{names.get(b.recipient_id) ?? t("bookings.recipient")}</Text>
              <Text size="sm">
                {formatDateTime(b.start_at, locale)} – {formatDateTime(b.end_at, locale)}
              </Text>
            </div>
            <Group gap="sm">
              <Badge color={STATUS_COLOR[b.status] ?? "gray"} variant="light" data-status={b.status}>
                {t(`bookingStatus.${b.status}`)}
              </Badge>
              <Anchor component={Link} to={`/family/bookings/${b.id}`} size="sm">
                {t("bookingDetail.open")}
              </Anchor>
            </Group>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

export default function BookingsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const live = useLiveEvents();
  const locale = localeOf(i18n.language);
  const recipients = useQuery({
    queryKey: ["recipients"],
    queryFn: () => unwrap(api.GET("/v1/recipients", { params: { query: { limit: 100 } } })),
  });
  const bookings = useQuery({
    queryKey: ["bookings"],
    queryFn: () => unwrap(api.GET("/v1/bookings", { params: { query: { limit: 100 } } })),
  });
  const form = useSchemaForm(bookingSchema, {
    recipient_id: "",
    start_local: tomorrowMorning(),
    duration_minutes: 180,
  });
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);
  const names = new Map(recipients.data?.items.map((r) => [r.id, r.name]));
  const confirmed = live.last?.kind === "booking_confirmed" ? live.last : null;
  const now = new Date().toISOString();
  const items = bookings.data?.items ?? [];
  // Upcoming: not yet over (soonest first); past: over (latest first).
  const upcoming = items.filter((b) => b.end_at >= now || b.status === "in_progress").sort((a, b) => a.start_at.localeCompare(b.start_at));
  const past = items.filter((b) => !(b.end_at >= now || b.status === "in_progress")).sort((a, b) => b.start_at.localeCompare(a.start_at));

  return (
    <Stack>
      <Title order={2}>{t("bookings.title")}</Title>
      {confirmed ? (
        <Alert color="teal" role="status" data-testid="live-confirmed" title={t("bookings.liveConfirmedTitle")}>
          {t("bookings.liveConfirmed")}
        </Alert>
      ) : null}
      <Card withBorder component="section" aria-labelledby="new-booking">
        <Title order={3} size="h4" id="new-booking" mb="sm">{t("bookings.new")}</Title>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void form.submit(async (data) => {
              const booking = await unwrap(
                api.POST("/v1/bookings", {
                  body: {
                    recipient_id: data.recipient_id,
                    start_at: seoulLocalToIso(data.start_local),
                    duration_minutes: data.duration_minutes,
                  },
                }),
              );
              // Offer it to the best-matching caregivers; they answer in the app.
              await unwrap(api.POST("/v1/dispatches", { body: { booking_id: booking.id } }));
              await queryClient.invalidateQueries({ queryKey: ["bookings"] });
            });
          }}
        >
          <Stack>
            <ProblemAlert problem={form.problem} />
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <Select
                label={t("bookings.recipient")}
                required
                value={form.values.recipient_id || null}
                onChange={(v) => form.set("recipient_id", v ?? "")}
                data={recipients.data?.items.map((r) => ({ value: r.id, label: r.name })) ?? []}
                error={err("recipient_id")}
              />
              <TextInput
                label={t("bookings.start")}
                description={t("bookings.seoulTime")}
                type="datetime-local"
                required
                value={form.values.start_local}
                onChange={(e) => form.set("start_local", e.currentTarget.value)}
                error={err("start_local") ?? err("start_at")}
              />
              <Select
                label={t("bookings.duration")}
                value={String(form.values.duration_minutes)}
                onChange={(v) => form.set("duration_minutes", Number(v ?? 180))}
                data={DURATIONS.map((m) => ({ value: String(m), label: t("bookings.minutes", { count: m }) }))}
                allowDeselect={false}
              />
            </SimpleGrid>
            <Group justify="flex-end">
              <Button type="submit" loading={form.submitting}>{t("bookings.request")}</Button>
            </Group>
          </Stack>
        </form>
      </Card>
      {bookings.isPending ? <Loading /> : null}
      <ProblemAlert problem={bookings.error ? toProblem(bookings.error) : null} />
      {bookings.data && bookings.data.items.length === 0 ? <Text>{t("bookings.empty")}</Text> : null}
      {bookings.data && bookings.data.items.length > 0 ? (
        <>
          <BookingList title={t("bookings.upcoming")} id="upcoming" items={upcoming} names={names} locale={locale} />
          <BookingList title={t("bookings.past")} id="past" items={past} names={names} locale={locale} />
        </>
      ) : null}
    </Stack>
  );
}
