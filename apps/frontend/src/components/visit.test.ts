import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { careLogSchema, vitalsOf } from "./CareLogForm";
import { visitState } from "./VisitStatus";

const check = { id: "c", booking_id: "b", kind: "check_in", latitude: 0, longitude: 0, accuracy_m: 5, device_time: "", recorded_at: "", distance_m: 3, allowed_m: 100, inside_geofence: true, tag: "not_registered" } as const;
function visit(status: Schemas["BookingStatus"], checkIn = false, checkOut = false): Schemas["VisitOut"] {
  return {
    booking_id: "b", status, start_at: "", end_at: "", started_at: null, finished_at: null,
    check_in: checkIn ? check : null, check_out: checkOut ? { ...check, kind: "check_out" } : null, exceptions: [],
  };
}

describe("visitState", () => {
  it("follows the verified checks: planned -> arrived -> completed", () => {
    expect(visitState(visit("confirmed"))).toBe("planned");
    expect(visitState(visit("in_progress", true))).toBe("arrived");
    expect(visitState(visit("completed", true, true))).toBe("completed");
    // Checked out without a check-in (an exception for the agency) still completes the visit.
    expect(visitState(visit("completed", false, true))).toBe("completed");
    expect(visitState(visit("cancelled_by_caregiver"))).toBe("cancelled");
  });
});

describe("care log vitals", () => {
  it("sends only the vitals taken and refuses out-of-range ones", () => {
    const values = { done: [], systolic_mmhg: 128, diastolic_mmhg: null, pulse_bpm: 72, temperature_c: null, notes: "" };
    expect(vitalsOf(careLogSchema.parse(values))).toEqual({ systolic_mmhg: 128, pulse_bpm: 72 });
    const bad = careLogSchema.safeParse({ ...values, systolic_mmhg: 400, temperature_c: 50 });
    expect(bad.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["systolic_mmhg", "v.range"],
      ["temperature_c", "v.range"],
    ]);
  });
});
