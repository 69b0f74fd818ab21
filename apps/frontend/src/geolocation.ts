/** The browser's position for a visit check, with the failures told apart for clear messages. */

/** Above this reported accuracy (metres, 68% radius) a fix is "poor": we warn before sending. */
export const POOR_ACCURACY_M = 100;

export interface Fix {
  latitude: number;
  longitude: number;
  accuracy_m: number;
  /** When the phone took the fix, ISO 8601 with offset (the server keeps it beside its own clock). */
  device_time: string;
}

export type FixFailure = "unsupported" | "denied" | "unavailable" | "timeout";

export class FixError extends Error {
  readonly reason: FixFailure;

  constructor(reason: FixFailure) {
    super(reason);
    this.name = "FixError";
    this.reason = reason;
  }
}

/** GeolocationPositionError codes: 1 PERMISSION_DENIED, 2 POSITION_UNAVAILABLE, 3 TIMEOUT. */
export function failureOf(code: number): FixFailure {
  if (code === 1) return "denied";
  if (code === 3) return "timeout";
  return "unavailable";
}

export function isPoor(fix: Fix): boolean {
  return fix.accuracy_m > POOR_ACCURACY_M;
}

/** One fresh high-accuracy fix (no cached position: a check proves where the phone is now). */
export function currentFix(
  // `in` check: navigator.geolocation is missing on insecure origins and old browsers.
  geolocation: Geolocation | undefined = "geolocation" in navigator ? navigator.geolocation : undefined,
  timeoutMs = 20_000,
): Promise<Fix> {
  return new Promise((resolve, reject) => {
    if (!geolocation) {
      reject(new FixError("unsupported"));
      return;
    }
    geolocation.getCurrentPosition(
      (position) => {
        resolve({
          latitude: position.coords.latitude,
          longitude: position.coords.longitude,
          // The API refuses accuracy <= 0; some emulators report 0 for "exact".
          accuracy_m: Math.max(1, Math.min(10_000, position.coords.accuracy)),
          device_time: new Date(position.timestamp || Date.now()).toISOString(),
        });
      },
      (error) => reject(new FixError(failureOf(error.code))),
      { enableHighAccuracy: true, maximumAge: 0, timeout: timeoutMs },
    );
  });
}
