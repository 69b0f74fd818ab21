import { describe, expect, it } from "vitest";
import { careRequestSchema, isSeoulDay, orderedComponents, scheduleBody, seoulDate, seoulMonth } from "./schedule";

const base = {
  recipient_id: "r1",
  kind: "one_off" as const,
  start_local: "2026-12-03T09:00",
  duration_minutes: 180,
  weekdays: [3, 0],
  time: "14:00",
  start_date: "2026-12-07",
  count: 8,
  max_distance_km: 10,
};

describe("care request schedule", () => {
  it("a one-off visit is a Seoul wall time with +09:00", () => {
    const parsed = careRequestSchema.parse(base);
    expect(scheduleBody(parsed)).toEqual({ kind: "one_off", start_at: "2026-12-03T09:00:00+09:00", duration_minutes: 180 });
  });

  it("weekly slots are sorted by weekday and share the time and length", () => {
    const parsed = careRequestSchema.parse({ ...base, kind: "weekly" });
    expect(scheduleBody(parsed)).toEqual({
      kind: "weekly",
      slots: [
        { weekday: 0, start: "14:00", duration_minutes: 180 },
        { weekday: 3, start: "14:00", duration_minutes: 180 },
      ],
      start_date: "2026-12-07",
      count: 8,
    });
  });

  it("names the field that is wrong", () => {
    const oneOff = careRequestSchema.safeParse({ ...base, start_local: "" });
    expect(oneOff.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["start_local", "v.dateTime"]]);
    const weekly = careRequestSchema.safeParse({ ...base, kind: "weekly", weekdays: [], time: "9", start_date: "" });
    expect(weekly.error?.issues.map((i) => i.path.join("."))).toEqual(["weekdays", "time", "start_date"]);
  });

  it("Seoul dates and months, whatever the device's zone", () => {
    // 2026-12-31 16:00 UTC is already 2027-01-01 01:00 in Seoul.
    const instant = Date.UTC(2026, 11, 31, 16, 0);
    expect(seoulDate(0, instant)).toBe("2027-01-01");
    expect(seoulMonth(new Date(instant).toISOString())).toBe("2027-01");
    expect(isSeoulDay("2026-12-31T15:30:00Z", "2027-01-01")).toBe(true);
    expect(isSeoulDay("2026-12-31T14:30:00Z", "2027-01-01")).toBe(false);
  });

  it("orders score components as documented, unknown ones last", () => {
    const keys = orderedComponents({ fairness: 1, extra: 2, distance: 3, rating: 4 }).map(([k]) => k);
    expect(keys).toEqual(["distance", "rating", "fairness", "extra"]);
  });
});
