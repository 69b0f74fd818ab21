import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initI18n } from "../../i18n";
import { renderSignedIn } from "../../testing/render";
import { json, startServer } from "../../testing/server";
import TodayPage, { isTodaysVisit } from "./TodayPage";

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
  Reflect.deleteProperty(navigator, "geolocation");
});
beforeAll(() => {
  initI18n("ko");
});

/** jsdom has no geolocation: give the page one that answers like the browser would. */
function geolocation(answer: { code: number } | { accuracy: number }) {
  Object.defineProperty(navigator, "geolocation", {
    configurable: true,
    value: {
      getCurrentPosition(ok: PositionCallback, fail: PositionErrorCallback) {
        if ("code" in answer) {
          fail({ code: answer.code, message: "", PERMISSION_DENIED: 1, POSITION_UNAVAILABLE: 2, TIMEOUT: 3 });
          return;
        }
        const coords = { latitude: 37.5008, longitude: 127.0365, accuracy: answer.accuracy, altitude: null, altitudeAccuracy: null, heading: null, speed: null };
        ok({ coords: { ...coords, toJSON: () => coords }, timestamp: Date.now(), toJSON: () => ({}) });
      },
    },
  });
}

const CAREGIVER_ME = { id: "u-cg", email: "caregiver1@demo.homecare.kr", display_name: "김영희", role: "caregiver", agency_id: null, created_at: "2026-12-01T00:00:00Z" };

async function serve() {
  const start = new Date(Date.now() + 15 * 60_000);
  const booking = {
    id: "b1", recipient_id: "r1", caregiver_id: "cg1", series_id: null, service_type: "home_care", notes: "",
    start_at: start.toISOString(), end_at: new Date(start.getTime() + 3_600_000).toISOString(),
    started_at: null, finished_at: null, status: "confirmed", created_at: "2026-12-01T00:00:00Z", updated_at: "2026-12-01T00:00:00Z",
  };
  const server = await startServer((req, _body, res) => {
    const url = req.url ?? "";
    if (url === "/api/v1/me") json(res, 200, CAREGIVER_ME);
    else if (url.startsWith("/api/v1/bookings?")) json(res, 200, { items: [booking], next_cursor: null });
    else if (url === "/api/v1/bookings/b1/check-in")
      json(res, 201, {
        check: { id: "c1", booking_id: "b1", kind: "check_in", latitude: 37.5008, longitude: 127.0365, accuracy_m: 12, device_time: start.toISOString(), recorded_at: start.toISOString(), distance_m: 4.2, allowed_m: 112, inside_geofence: true, tag: "not_registered" },
        exceptions: [],
        booking_status: "in_progress",
      });
    else json(res, 404, { code: "not_found", status: 404, title: "not found" });
  });
  close = server.close;
  renderSignedIn(`${server.url}/api`, "/caregiver/today", "/caregiver/today", <TodayPage />);
  return server;
}

describe("TodayPage check-in", () => {
  it("explains a denied location permission and sends nothing", async () => {
    geolocation({ code: 1 });
    const server = await serve();
    await userEvent.click(await screen.findByRole("button", { name: "도착 확인(체크인)" }, { timeout: 5000 }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("위치 권한이 거부되었습니다");
    expect(alert.textContent).toContain("사이트 설정");
    expect(server.requests.some((r) => r.url.endsWith("/check-in"))).toBe(false);
  });

  it("warns about poor accuracy before sending, then sends the fix when asked", async () => {
    geolocation({ accuracy: 800 });
    const server = await serve();
    await userEvent.click(await screen.findByRole("button", { name: "도착 확인(체크인)" }, { timeout: 5000 }));
    const warning = await screen.findByRole("alert");
    expect(warning.textContent).toContain("위치 정확도가 낮습니다(±800m)");
    expect(server.requests.some((r) => r.url.endsWith("/check-in"))).toBe(false);
    await userEvent.click(within(warning).getByRole("button", { name: "그대로 보내기" }));
    expect((await screen.findByRole("status")).textContent).toContain("도착을 기록했습니다");
    const sent = server.requests.find((r) => r.url.endsWith("/check-in"));
    expect(JSON.parse(sent?.body ?? "{}")).toMatchObject({ latitude: 37.5008, longitude: 127.0365, accuracy_m: 800, tag_code: null });
  });
});

describe("the visits today lists", () => {
  const at = (iso: string) => Date.parse(iso);
  const visit = (status: string, start: string, end: string) =>
    ({ status, start_at: start, end_at: end }) as unknown as Parameters<typeof isTodaysVisit>[0];
  const lateEvening = at("2026-12-02T23:58:00+09:00");

  it("keeps a visit checked out before its start just after midnight", () => {
    const early = visit("completed", "2026-12-03T00:10:00+09:00", "2026-12-03T01:10:00+09:00");
    expect(isTodaysVisit(early, lateEvening)).toBe(true);
  });

  it("keeps a visit into the night, completed on the next Seoul day", () => {
    const night = visit("completed", "2026-12-02T23:00:00+09:00", "2026-12-03T01:00:00+09:00");
    expect(isTodaysVisit(night, at("2026-12-03T01:20:00+09:00"))).toBe(true);
  });

  it("leaves out other days' visits and cancelled ones", () => {
    expect(isTodaysVisit(visit("completed", "2026-12-01T09:00:00+09:00", "2026-12-01T12:00:00+09:00"), lateEvening)).toBe(false);
    expect(isTodaysVisit(visit("confirmed", "2026-12-04T09:00:00+09:00", "2026-12-04T12:00:00+09:00"), lateEvening)).toBe(false);
    expect(isTodaysVisit(visit("cancelled_by_family", "2026-12-02T09:00:00+09:00", "2026-12-02T12:00:00+09:00"), lateEvening)).toBe(false);
  });
});
