/** Every amount is KRW and every time is shown in Asia/Seoul, whatever the device's zone. */
export const TIME_ZONE = "Asia/Seoul";
/** Korea keeps UTC+9 all year (no daylight saving), so a Seoul wall time has one offset. */
const SEOUL_OFFSET = "+09:00";

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let value = cache.get(key);
  if (!value) {
    value = make();
    cache.set(key, value);
  }
  return value as T;
}

export function formatKrw(amount: number, locale: string): string {
  return cached(`krw:${locale}`, () =>
    new Intl.NumberFormat(locale, { style: "currency", currency: "KRW" }),
  ).format(amount);
}

export function formatDateTime(iso: string, locale: string): string {
  return cached(`dt:${locale}`, () =>
    new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: TIME_ZONE }),
  ).format(new Date(iso));
}

/** The time of day in Seoul ("오후 2:00" / "2:00 PM"). */
export function formatTime(iso: string, locale: string): string {
  return cached(`t:${locale}`, () =>
    new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: TIME_ZONE }),
  ).format(new Date(iso));
}

export function formatDate(iso: string, locale: string): string {
  return cached(`d:${locale}`, () =>
    new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: TIME_ZONE }),
  ).format(new Date(iso));
}

/** A weekday name (0 = Monday, as the API counts) in the given locale. */
export function weekdayName(weekday: number, locale: string): string {
  // 2024-01-01 was a Monday.
  const monday = Date.UTC(2024, 0, 1, 12);
  return cached(`wd:${locale}`, () =>
    new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" }),
  ).format(new Date(monday + weekday * 86_400_000));
}

/** `<input type="datetime-local">` value ("2026-12-02T09:30"), read as Seoul time -> ISO 8601. */
export function seoulLocalToIso(value: string): string {
  return `${value.length === 16 ? `${value}:00` : value}${SEOUL_OFFSET}`;
}

/** Milliseconds left -> "m:ss" (never negative). */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${seconds.toString().padStart(2, "0")}`;
}
