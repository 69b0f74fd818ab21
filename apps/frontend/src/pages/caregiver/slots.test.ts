import { describe, expect, it } from "vitest";
import { slotErrors } from "./AvailabilityPage";

describe("weekly availability checks", () => {
  it("flags end before start and overlaps on the same day only", () => {
    const errors = slotErrors([
      { weekday: 0, start: "09:00", end: "12:00" },
      { weekday: 0, start: "11:00", end: "13:00" },
      { weekday: 1, start: "11:00", end: "13:00" },
      { weekday: 2, start: "14:00", end: "10:00" },
      { weekday: 3, start: "9", end: "10:00" },
    ]);
    expect([...errors.entries()]).toEqual([
      [0, "availability.overlap"],
      [1, "availability.overlap"],
      [3, "availability.startBeforeEnd"],
      [4, "v.time"],
    ]);
  });
});
