import {
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDateTime, weekdayName } from "../../format";
import { useSchemaForm } from "../../forms";
import { localeOf } from "../../i18n";
import { careRequestSchema, scheduleBody, seoulDate, tomorrowMorning } from "../../schedule";

const DURATIONS = [60, 90, 120, 180, 240, 300, 360, 480];

/** A family asks for care (one visit or weekly); matching ranks caregivers at once. */
export default function CareRequestsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const locale = localeOf(i18n.language);
  const recipients = useQuery({
    queryKey: ["recipients"],
    queryFn: () => unwrap(api.GET("/v1/recipients", { params: { query: { limit: 100 } } })),
  });
  const requests = useQuery({
    queryKey: ["care-requests"],
    queryFn: () => unwrap(api.GET("/v1/care-requests", { params: { query: { limit: 100 } } })),
  });
  const form = useSchemaForm(careRequestSchema, {
    recipient_id: "",
    kind: "one_off",
    start_local: tomorrowMorning(),
    duration_minutes: 180,
    weekdays: [0, 3],
    time: "09:00",
    start_date: seoulDate(7),
    count: 8,
    max_distance_km: 10,
  });
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);
  const names = new Map(recipients.data?.items.map((r) => [r.id, r.name]));
  const weekly = form.values.kind === "weekly";
  const num = (value: string | number) => (typeof value === "number" ? value : Number.NaN);

  return (
    <Stack>
      <Title order={2}>{t("careRequests.title")}</Title>
      <Text>{t("careRequests.intro")}</Text>
      <Card withBorder component="section" aria-labelledby="new-care-request">
        <Title order={3} size="h4" id="new-care-request" mb="sm">
          {t("careRequests.new")}
        </Title>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void form.submit(async (data) => {
              const created = await unwrap(
                api.POST("/v1/care-requests", {
                  body: {
                    recipient_id: data.recipient_id,
                    schedule: scheduleBody(data),
                    max_distance_km: data.max_distance_km,
                  },
                }),
              );
              await queryClient.invalidateQueries({ queryKey: ["care-requests"] });
              void navigate(`/family/care-requests/${created.id}`);
            });
          }}
        >
          <Stack>
            <ProblemAlert problem={form.problem} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label={t("bookings.recipient")}
                required
                value={form.values.recipient_id || null}
                onChange={(v) => form.set("recipient_id", v ?? "")}
                data={recipients.data?.items.map((r) => ({ value: r.id, label: r.name })) ?? []}
                error={err("recipient_id")}
              />
              <Stack gap={4}>
                <Text size="sm" fw={500} id="schedule-kind">
                  {t("careRequests.kind")}
                </Text>
                <SegmentedControl
                  aria-labelledby="schedule-kind"
                  value={form.values.kind}
                  onChange={(v) => form.set("kind", v === "weekly" ? "weekly" : "one_off")}
                  data={[
                    { value: "one_off", label: t("careRequests.oneOff") },
                    { value: "weekly", label: t("careRequests.weekly") },
                  ]}
                />
              </Stack>
            </SimpleGrid>
            {weekly ? (
              <Stack>
                <Checkbox.Group
                  label={t("careRequests.weekdays")}
                  description={t("bookings.seoulTime")}
                  value={form.values.weekdays.map(String)}
                  onChange={(v) => form.set("weekdays", v.map(Number))}
                  error={err("weekdays")}
                >
                  <Group gap="sm" mt={4}>
                    {[0, 1, 2, 3, 4, 5, 6].map((d) => (
                      <Checkbox key={d} value={String(d)} label={weekdayName(d, locale)} />
                    ))}
                  </Group>
                </Checkbox.Group>
                <SimpleGrid cols={{ base: 1, sm: 3 }}>
                  <TextInput
                    label={t("careRequests.time")}
                    type="time"
                    required
                    value={form.values.time}
                    onChange={(e) => form.set("time", e.currentTarget.value)}
                    error={err("time") ?? err("schedule.slots")}
                  />
                  <TextInput
                    label={t("careRequests.startDate")}
                    type="date"
                    required
                    value={form.values.start_date}
                    onChange={(e) => form.set("start_date", e.currentTarget.value)}
                    error={err("start_date") ?? err("schedule.start_date")}
                  />
                  <NumberInput
                    label={t("careRequests.count")}
                    min={1}
                    max={400}
                    allowDecimal={false}
                    value={form.values.count}
                    onChange={(v) => form.set("count", num(v))}
                    error={err("count") ?? err("schedule.count")}
                  />
                </SimpleGrid>
              </Stack>
            ) : (
              <TextInput
                label={t("bookings.start")}
                description={t("bookings.seoulTime")}
                type="datetime-local"
                required
                value={form.values.start_local}
                onChange={(e) => form.set("start_local", e.currentTarget.value)}
                error={err("start_local") ?? err("schedule.one_off.start_at") ?? err("start_at")}
              />
            )}
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label={t("bookings.duration")}
                value={String(form.values.duration_minutes)}
                onChange={(v) => form.set("duration_minutes", Number(v ?? 180))}
                data={DURATIONS.map((m) => ({ value: String(m), label: t("bookings.minutes", { count: m }) }))}
                allowDeselect={false}
              />
              <NumberInput
                label={t("careRequests.maxDistance")}
                min={1}
                max={50}
                allowDecimal={false}
                value={form.values.max_distance_km}
                onChange={(v) => form.set("max_distance_km", num(v))}
                error={err("max_distance_km")}
              />
            </SimpleGrid>
            <Group justify="flex-end">
              <Button type="submit" loading={form.submitting}>
                {t("careRequests.submit")}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      <Title order={3} size="h4">
        {t("careRequests.list")}
      </Title>
      {requests.isPending ? <Loading /> : null}
      <ProblemAlert problem={requests.error ? toProblem(requests.error) : null} />
      {requests.data && requests.data.items.length === 0 ? <Text>{t("careRequests.empty")}</Text> : null}
      <Stack gap="xs">
        {requests.data?.items
          .slice()
          .reverse()
          .map((r) => (
            <Card key={r.id} withBorder padding="sm" data-testid="care-request">
              <Group justify="space-between" wrap="wrap">
                <div>
                  <Text fw={700}>{names.get(r.recipient_id) ?? t("bookings.recipient")}</Text>
                  <Text size="sm">
                    {r.schedule.kind === "one_off"
                      ? formatDateTime(r.schedule.start_at, locale)
                      : t("careRequests.weeklySummary", { count: r.schedule.slots.length })}
                    {" · "}
                    {t("careRequests.candidates", { count: r.candidates.length })}
                  </Text>
                </div>
                <Group gap="sm">
                  <Badge variant="light" data-status={r.status}>
                    {t(`careRequestStatus.${r.status}`)}
                  </Badge>
                  <Anchor component={Link} to={`/family/care-requests/${r.id}`} size="sm">
                    {t("bookingDetail.open")}
                  </Anchor>
                </Group>
              </Group>
            </Card>
          ))}
      </Stack>
    </Stack>
  );
}
