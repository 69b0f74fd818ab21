import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initI18n } from "../../i18n";
import { FAMILY_ME, renderSignedIn } from "../../testing/render";
import { json, startServer } from "../../testing/server";
import CareRequestDetailPage from "./CareRequestDetailPage";

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});
beforeAll(() => {
  initI18n("ko");
});

const component = (value: number, weight: number) => ({ value, weight, contribution: value * weight });
const request = (status: string, bookingId: string | null) => ({
  id: "cr1",
  family_id: "u-family",
  recipient_id: "r1",
  service_type: "home_care",
  schedule: { kind: "one_off", start_at: "2026-12-03T00:00:00Z", duration_minutes: 120 },
  required_skills: [],
  preferred_gender: null,
  preferred_languages: [],
  max_distance_km: 10,
  notes: "",
  status,
  candidates: [
    {
      rank: 1,
      caregiver_id: "cg1",
      score: 0.82,
      distance_km: 1.2,
      breakdown: {
        fairness: component(0.5, 0.1),
        distance: component(0.9, 0.35),
        rating: component(0.8, 0.25),
        continuity: component(1, 0.15),
        language: component(1, 0.1),
        gender: component(1, 0.05),
      },
    },
  ],
  considered: 8,
  excluded: { distance: 3, skills: 0, availability: 2, booked: 0 },
  matched_at: "2026-12-02T00:00:00Z",
  chosen_caregiver_id: null,
  booking_id: bookingId,
  series_id: null,
  dispatch_id: null,
  created_at: "2026-12-02T00:00:00Z",
  updated_at: "2026-12-02T00:00:00Z",
});

describe("CareRequestDetailPage", () => {
  it("shows each candidate's score breakdown and offers the visit to the one chosen", async () => {
    const server = await startServer((req, body, res) => {
      const url = req.url ?? "";
      if (url === "/api/v1/me") json(res, 200, FAMILY_ME);
      else if (url === "/api/v1/care-requests/cr1/choose") json(res, 200, request("offered", "b1"));
      else if (url === "/api/v1/care-requests/cr1") json(res, 200, request("open", null));
      else if (url.startsWith("/api/v1/caregivers/cg1"))
        json(res, 200, { id: "cg1", gender: "female", languages: ["ko"], rating_avg: 4.6, rating_count: 12, hourly_rate_krw: 15000 });
      else if (url.startsWith("/api/v1/billing/recipients/r1/months/2026-12"))
        json(res, 200, {
          recipient_id: "r1", month: "2026-12", care_grade: "3", copay_category: "standard", copay_percent: 15,
          limit_krw: 1_497_300, limit_used_krw: 300_000, limit_remaining_krw: 1_197_300, table_year: 2026,
          unverified_figures: [], visits: [], totals: null,
        });
      else json(res, 404, { code: "not_found", status: 404, title: body });
    });
    close = server.close;
    renderSignedIn(`${server.url}/api`, "/family/care-requests/:requestId", "/family/care-requests/cr1", <CareRequestDetailPage />, {
      "/family/bookings/:id": <p>booking page</p>,
    });
    const card = await screen.findByRole("article", { name: "추천 1위" }, { timeout: 5000 });
    const table = within(card).getByRole("table", { name: "추천 1위의 추천 이유" });
    // Documented order, each with its share of the score: distance 0.9 × 35% = 31.5 points.
    const rows = within(table).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-component"));
    expect(rows).toEqual(["distance", "rating", "continuity", "language", "gender", "fairness"]);
    expect(within(table).getByText("31.5점 (35%)")).toBeTruthy();
    expect(within(table).getByRole("progressbar", { name: "거리 90%" })).toBeTruthy();
    expect(await within(card).findByText(/평점 4.6/)).toBeTruthy();
    expect(screen.getByText(/요양보호사 8명 중 1명을 추천합니다. 제외: 거리 3, 근무 시간 2/)).toBeTruthy();
    expect(await screen.findByText("남은 한도 ₩1,197,300")).toBeTruthy();

    await userEvent.click(within(card).getByRole("button", { name: "추천 1위 요양보호사에게 요청하기" }));
    await screen.findByText("booking page", {}, { timeout: 5000 });
    const chose = server.requests.find((r) => r.url === "/api/v1/care-requests/cr1/choose");
    expect(chose?.method).toBe("POST");
    expect(JSON.parse(chose?.body ?? "{}")).toEqual({ caregiver_id: "cg1" });
  });
});
