import { describe, expect, it } from "vitest";
import { formatCountdown, formatDateTime, formatKrw, seoulLocalToIso, weekdayName } from "./format";

describe("format", () => {
  it("formats KRW without decimals in Korean and English", () => {
    expect(formatKrw(24580, "ko-KR")).toBe("₩24,580");
    expect(formatKrw(1234567, "en-KR")).toMatch(/^₩1,234,567$/);
  });

  it("shows times in Asia/Seoul whatever the device zone", () => {
    // 00:30 UTC is 09:30 in Seoul.
    // (Node's ICU may lack some Korean day-period names; Chromium has them: test the numbers.)
    expect(formatDateTime("2026-12-02T00:30:00Z", "ko-KR")).toMatch(/2026\. 12\. 2\..* 9:30/);
    expect(formatDateTime("2026-12-02T15:00:00Z", "en-KR")).toMatch(/Dec 3, 2026.*12:00/);
  });

  it("reads a datetime-local value as Seoul time", () => {
    expect(seoulLocalToIso("2026-12-02T09:30")).toBe("2026-12-02T09:30:00+09:00");
    expect(new Date(seoulLocalToIso("2026-12-02T09:30")).toISOString()).toBe("2026-12-02T00:30:00.000Z");
  });

  it("counts down in m:ss and never below zero", () => {
    expect(formatCountdown(600_000)).toBe("10:00");
    expect(formatCountdown(61_001)).toBe("1:02");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("names weekdays from Monday = 0", () => {
    expect(weekdayName(0, "ko-KR")).toBe("월요일");
    expect(weekdayName(6, "en-KR")).toBe("Sunday");
  });
});
