import { Alert, Button, Card, Checkbox, NumberInput, SimpleGrid, Stack, Text, Textarea, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import type { Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { useSchemaForm } from "../forms";
import { Loading } from "./Loading";
import { ProblemAlert } from "./ProblemAlert";

type Task = Schemas["CareTask"];
export const ALL_TASKS: Task[] = [
  "meals",
  "medication",
  "bathing",
  "mobility",
  "toileting",
  "hygiene",
  "housekeeping",
  "cognitive",
  "companionship",
];

const optionalInt = (min: number, max: number) => z.number().int("v.range").min(min, "v.range").max(max, "v.range").nullable();

export const careLogSchema = z.object({
  done: z.array(z.string()),
  systolic_mmhg: optionalInt(50, 260),
  diastolic_mmhg: optionalInt(30, 160),
  pulse_bpm: optionalInt(20, 250),
  temperature_c: z.number().min(30, "v.range").max(44, "v.range").nullable(),
  notes: z.string().max(4000, "v.tooLong"),
});

/** The API's vitals: only those taken. */
export function vitalsOf(values: z.output<typeof careLogSchema>): Schemas["Vitals"] {
  const out: Schemas["Vitals"] = {};
  if (values.systolic_mmhg !== null) out.systolic_mmhg = values.systolic_mmhg;
  if (values.diastolic_mmhg !== null) out.diastolic_mmhg = values.diastolic_mmhg;
  if (values.pulse_bpm !== null) out.pulse_bpm = values.pulse_bpm;
  if (values.temperature_c !== null) out.temperature_c = values.temperature_c;
  return out;
}

/** The caregiver's care log for a finished visit: the care plan's checklist, vitals, notes. */
export function CareLogForm({ booking }: { booking: Schemas["BookingOut"] }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const plan = useQuery({
    queryKey: ["care-plan", booking.recipient_id],
    queryFn: () =>
      unwrap(api.GET("/v1/recipients/{recipient_id}/care-plan", { params: { path: { recipient_id: booking.recipient_id } } })),
  });
  const form = useSchemaForm(careLogSchema, {
    done: [],
    systolic_mmhg: null,
    diastolic_mmhg: null,
    pulse_bpm: null,
    temperature_c: null,
    notes: "",
  });
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);
  const num = (value: string | number) => (typeof value === "number" ? value : value === "" ? null : Number.NaN);
  if (plan.isPending) return <Loading />;
  // With a care plan the checklist is exactly its tasks (the API checks); without one, all tasks.
  const tasks = plan.data && plan.data.tasks.length > 0 ? plan.data.tasks : ALL_TASKS;
  const heading = `care-log-${booking.id}`;

  return (
    <Card withBorder component="section" aria-labelledby={heading} data-testid="care-log-form" mt="sm">
      <Title order={4} size="h5" id={heading} mb="xs">
        {t("careLog.write")}
      </Title>
      {saved ? (
        <Alert color="teal" role="status" data-testid="care-log-saved" mb="sm">
          {t("careLog.saved")}
        </Alert>
      ) : null}
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          void form
            .submit(async (data) => {
              await unwrap(
                api.PUT("/v1/bookings/{booking_id}/care-log", {
                  params: { path: { booking_id: booking.id } },
                  body: {
                    tasks: tasks.map((task) => ({ task, done: data.done.includes(task) })),
                    vitals: vitalsOf(data),
                    notes: data.notes,
                  },
                }),
              );
              await queryClient.invalidateQueries({ queryKey: ["care-log", booking.id] });
            })
            .then((ok) => setSaved(ok));
        }}
      >
        <Stack>
          <ProblemAlert problem={form.problem} />
          <Checkbox.Group
            label={t("careLog.tasks")}
            value={form.values.done}
            onChange={(v) => form.set("done", v)}
            error={err("tasks")}
          >
            <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} mt={4} spacing="xs">
              {tasks.map((task) => (
                <Checkbox key={task} value={task} label={t(`task.${task}`)} />
              ))}
            </SimpleGrid>
          </Checkbox.Group>
          <Text size="sm" fw={500}>
            {t("careLog.vitals")}
          </Text>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <NumberInput
              label={t("careLog.systolic")}
              allowDecimal={false}
              value={form.values.systolic_mmhg ?? ""}
              onChange={(v) => form.set("systolic_mmhg", num(v))}
              error={err("systolic_mmhg") ?? err("vitals.systolic_mmhg")}
            />
            <NumberInput
              label={t("careLog.diastolic")}
              allowDecimal={false}
              value={form.values.diastolic_mmhg ?? ""}
              onChange={(v) => form.set("diastolic_mmhg", num(v))}
              error={err("diastolic_mmhg") ?? err("vitals.diastolic_mmhg")}
            />
            <NumberInput
              label={t("careLog.pulse")}
              allowDecimal={false}
              value={form.values.pulse_bpm ?? ""}
              onChange={(v) => form.set("pulse_bpm", num(v))}
              error={err("pulse_bpm") ?? err("vitals.pulse_bpm")}
            />
            <NumberInput
              label={t("careLog.temperature")}
              decimalScale={1}
              value={form.values.temperature_c ?? ""}
              onChange={(v) => form.set("temperature_c", num(v))}
              error={err("temperature_c") ?? err("vitals.temperature_c")}
            />
          </SimpleGrid>
          <Textarea
            label={t("careLog.notes")}
            autosize
            minRows={3}
            value={form.values.notes}
            onChange={(e) => form.set("notes", e.currentTarget.value)}
            error={err("notes")}
          />
          <Button type="submit" loading={form.submitting}>
            {t("careLog.save")}
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

