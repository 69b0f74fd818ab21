import { describe, expect, it } from "vitest";
import { currentFix, FixError, isPoor, POOR_ACCURACY_M } from "./geolocation";

function fakeGeo(answer: { ok: GeolocationPosition } | { code: number }): Geolocation & { options?: PositionOptions } {
  const geo: Geolocation & { options?: PositionOptions } = {
    getCurrentPosition(success, failure, options) {
      geo.options = options;
      if ("ok" in answer) success(answer.ok);
      else failure?.({ code: answer.code, message: "", PERMISSION_DENIED: 1, POSITION_UNAVAILABLE: 2, TIMEOUT: 3 });
    },
    watchPosition: () => 0,
    clearWatch: () => undefined,
  };
  return geo;
}

function position(accuracy: number, timestamp = Date.UTC(2026, 11, 2, 1, 0)): GeolocationPosition {
  const coords = { latitude: 37.5, longitude: 127.03, accuracy, altitude: null, altitudeAccuracy: null, heading: null, speed: null };
  return { coords: { ...coords, toJSON: () => coords }, timestamp, toJSON: () => ({}) };
}

describe("currentFix", () => {
  it("returns the fix with the device time and asks for a fresh, precise one", async () => {
    const geo = fakeGeo({ ok: position(12.5) });
    const fix = await currentFix(geo);
    expect(fix).toEqual({ latitude: 37.5, longitude: 127.03, accuracy_m: 12.5, device_time: "2026-12-02T01:00:00.000Z" });
    expect(geo.options).toMatchObject({ enableHighAccuracy: true, maximumAge: 0 });
    expect(isPoor(fix)).toBe(false);
  });

  it("clamps an accuracy of 0 to 1 m (the API refuses 0) and flags poor accuracy", async () => {
    expect((await currentFix(fakeGeo({ ok: position(0) }))).accuracy_m).toBe(1);
    expect(isPoor(await currentFix(fakeGeo({ ok: position(POOR_ACCURACY_M + 1) })))).toBe(true);
  });

  it.each([
    [1, "denied"],
    [2, "unavailable"],
    [3, "timeout"],
  ])("error code %i -> %s", async (code, reason) => {
    const failure = await currentFix(fakeGeo({ code })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FixError);
    expect((failure as FixError).reason).toBe(reason);
  });

  it("says unsupported without a geolocation API", async () => {
    await expect(currentFix(undefined)).rejects.toMatchObject({ reason: "unsupported" });
  });
});
