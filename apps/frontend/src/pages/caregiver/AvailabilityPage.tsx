import { ActionIcon, Button, Card, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../../api/client";
import { ApiError, toProblem, unwrap, type Problem } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDate, weekdayName } from "../../format";
import { localeOf } from "../../i18n";

type Slot = Schemas["WeeklySlot"];
const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];

/** Client-side check mirroring the API: start before end, no overlap on one day. */
export function slotErrors(slots: Slot[]): Map<number, string> {
  const errors = new Map<number, string>();
  slots.forEach((slot, i) => {
    if (!/^\d{2}:\d{2}$/.test(slot.start) || !/^\d{2}:\d{2}$/.test(slot.end)) {
      errors.set(i, "v.time");
    } else if (slot.start >= slot.end) {
      errors.set(i, "availability.startBeforeEnd");
    } else if (
      slots.some(
        (other, j) => j !== i && other.weekday === slot.weekday && other.start < slot.end && slot.start < other.end,
      )
    ) {
      errors.set(i, "availability.overlap");
    }
  });
  return errors;
}

function SlotEditor({ caregiverId, initial }: { caregiverId: string; initial: Slot[] }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const locale = localeOf(i18n.language);
  const [slots, setSlots] = useState<Slot[]>(initial);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const errors = slotErrors(slots);
  const update = (index: number, patch: Partial<Slot>) => {
    setSaved(false);
    setSlots((current) => current.map((s, i) => (i === index ? { ...s, ...patch } : s)));
  };

  async function save() {
    if (errors.size > 0) return;
    setSaving(true);
    setProblem(null);
    try {
      const next = await unwrap(
        api.PUT("/v1/caregivers/{caregiver_id}/availability", {
          params: { path: { caregiver_id: caregiverId } },
          body: { weekly_slots: slots },
        }),
      );
      queryClient.setQueryData(["availability", caregiverId], next);
      setSaved(true);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Stack>
      <ProblemAlert problem={problem} />
      {WEEKDAYS.map((day) => (
        <Card key={day} withBorder padding="sm" component="fieldset" data-testid={`weekday-${day}`}>
          <Group justify="space-between" mb="xs">
            <Text component="legend" fw={700}>{weekdayName(day, locale)}</Text>
            <Button size="xs" variant="light"
              onClick={() => { setSaved(false); setSlots((s) => [...s, { weekday: day, start: "09:00", end: "13:00" }]); }}
              aria-label={t("availability.addFor", { day: weekdayName(day, locale) })}>
              {t("availability.add")}
            </Button>
          </Group>
          <Stack gap="xs">
            {slots.map((slot, index) =>
              slot.weekday !== day ? null : (
                <Group key={index} gap="xs" align="flex-start" wrap="nowrap">
                  <TextInput type="time" label={t("availability.from")} value={slot.start}
                    onChange={(e) => update(index, { start: e.currentTarget.value })}
                    error={errors.has(index) ? t(errors.get(index) ?? "") : undefined} />
                  <TextInput type="time" label={t("availability.to")} value={slot.end}
                    onChange={(e) => update(index, { end: e.currentTarget.value })} />
                  <ActionIcon variant="subtle" color="red" mt={26} size="lg"
                    aria-label={t("availability.removeSlot", { day: weekdayName(day, locale), start: slot.start })}
                    onClick={() => { setSaved(false); setSlots((s) => s.filter((_, i) => i !== index)); }}>
                    ×
                  </ActionIcon>
                </Group>
              ),
            )}
          </Stack>
        </Card>
      ))}
      <Group justify="flex-end">
        {saved ? <Text role="status" c="teal.9">{t("common.saved")}</Text> : null}
        <Button onClick={() => void save()} loading={saving} disabled={errors.size > 0}>{t("common.save")}</Button>
      </Group>
    </Stack>
  );
}

export default function AvailabilityPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const profile = useQuery({
    queryKey: ["my-profile"],
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/v1/me/caregiver-profile"));
      } catch (error) {
        if (error instanceof ApiError && error.problem.code === "caregiver_profile_missing") return null;
        throw error;
      }
    },
  });
  const id = profile.data?.id;
  const availability = useQuery({
    queryKey: ["availability", id],
    enabled: Boolean(id),
    queryFn: () =>
      unwrap(api.GET("/v1/caregivers/{caregiver_id}/availability", { params: { path: { caregiver_id: id ?? "" } } })),
  });

  if (profile.isPending) return <Loading />;
  if (profile.error) return <ProblemAlert problem={toProblem(profile.error)} />;
  if (!profile.data) return <Text>{t("profile.missing")}</Text>;
  return (
    <Stack>
      <Title order={2}>{t("availability.title")}</Title>
      <Text>{t("availability.intro")}</Text>
      <ProblemAlert problem={availability.error ? toProblem(availability.error) : null} />
      {availability.data ? (
        <SlotEditor key={profile.data.id} caregiverId={profile.data.id} initial={availability.data.weekly_slots} />
      ) : (
        <Loading />
      )}
      {availability.data && availability.data.days_off.length > 0 ? (
        <Card withBorder padding="sm">
          <Text fw={700}>{t("availability.daysOff")}</Text>
          {availability.data.days_off.map((d) => (
            <Text key={d.day} size="sm">{formatDate(`${d.day}T12:00:00+09:00`, locale)}{d.reason ? ` · ${d.reason}` : ""}</Text>
          ))}
        </Card>
      ) : null}
    </Stack>
  );
}
