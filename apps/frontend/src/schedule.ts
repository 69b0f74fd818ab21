import { z } from "zod";
import { seoulLocalToIso, TIME_ZONE } from "./format";

/** The care request form: one visit, or weekly slots (Asia/Seoul) for a number of visits. */
export const careRequestSchema = z
  .object({
    recipient_id: z.string().min(1, "v.required"),
    kind: z.enum(["one_off", "weekly"]),
    start_local: z.string(),
    duration_minutes: z.number().int().min(60, "v.range").max(720, "v.range"),
    weekdays: z.array(z.number().int().min(0).max(6)),
    time: z.string(),
    start_date: z.string(),
    count: z.number({ error: "v.required" }).int().min(1, "v.range").max(400, "v.range"),
    max_distance_km: z.number({ error: "v.required" }).int().min(1, "v.range").max(50, "v.range"),
  })
  .superRefine((value, ctx) => {
    if (value.kind === "one_off") {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value.start_local)) {
        ctx.addIssue({ code: "custom", path: ["start_local"], message: "v.dateTime" });
      }
      return;
    }
    if (value.weekdays.length === 0) {
      ctx.addIssue({ code: "custom", path: ["weekdays"], message: "v.oneWeekday" });
    }
    if (!/^\d{2}:\d{2}$/.test(value.time)) {
      ctx.addIssue({ code: "custom", path: ["time"], message: "v.time" });
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value.start_date)) {
      ctx.addIssue({ code: "custom", path: ["start_date"], message: "v.date" });
    }
  });

export type CareRequestForm = z.output<typeof careRequestSchema>;

export type ScheduleBody =
  | { kind: "one_off"; start_at: string; duration_minutes: number }
  | {
      kind: "weekly";
      slots: { weekday: number; start: string; duration_minutes: number }[];
      start_date: string;
      count: number;
    };

/** The API's schedule for the form's values (one-off: a Seoul wall time with its offset). */
export function scheduleBody(form: CareRequestForm): ScheduleBody {
  if (form.kind === "one_off") {
    return {
      kind: "one_off",
      start_at: seoulLocalToIso(form.start_local),
      duration_minutes: form.duration_minutes,
    };
  }
  return {
    kind: "weekly",
    slots: [...form.weekdays]
      .sort((a, b) => a - b)
      .map((weekday) => ({ weekday, start: form.time, duration_minutes: form.duration_minutes })),
    start_date: form.start_date,
    count: form.count,
  };
}

/** Today's date in Seoul ("2026-12-02"), `daysAhead` days on. */
export function seoulDate(daysAhead = 0, now: number = Date.now()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE }).format(
    new Date(now + daysAhead * 86_400_000),
  );
}

/** Tomorrow 09:00 in Seoul as a datetime-local value (the booking forms' default start). */
export function tomorrowMorning(): string {
  return `${seoulDate(1)}T09:00`;
}

/** "2026-12" for an instant, in Seoul (billing months are Seoul months). */
export function seoulMonth(iso: string): string {
  return seoulDate(0, new Date(iso).getTime()).slice(0, 7);
}

/** Whether an instant falls on the given Seoul date. */
export function isSeoulDay(iso: string, day: string): boolean {
  return seoulDate(0, new Date(iso).getTime()) === day;
}

/** The score components in the order the API documents them; unknown ones follow. */
export const COMPONENTS = ["distance", "rating", "continuity", "language", "gender", "fairness"];

export function orderedComponents<T>(breakdown: Record<string, T>): [string, T][] {
  const known = COMPONENTS.filter((k) => k in breakdown).map((k) => [k, breakdown[k] as T] as [string, T]);
  const rest = Object.entries(breakdown).filter(([k]) => !COMPONENTS.includes(k));
  return [...known, ...rest];
}
