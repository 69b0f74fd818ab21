import type { APIRequestContext, Download, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { apiToken, checkA11y, expect, login, openNav, screenshot, test } from "./fixtures";

// Monthly statements, the seed's statement month (last month in Asia/Seoul: 한덕구's visits with
// 김영희 of the demo agency, all served). What the screen shows and what the CSV and PDF
// downloads hold are compared with the API's JSON for the same month, fetched here.

const CAREGIVER = "caregiver1@demo.homecare.kr"; // 김영희
const AGENCY = "agency1@demo.homecare.kr";

const won = (n: number) => new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW" }).format(n);
const seoulDay = (iso: string) => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul" }).format(new Date(iso));

/** Last month in Asia/Seoul as YYYY-MM (the seed serves it in full). */
function lastMonth(): string {
  const [year, month] = seoulDay(new Date().toISOString()).split("-").map(Number) as [number, number];
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, "0")}`;
}

/** RFC 4180 rows (quoted fields may hold commas, doubled quotes and line breaks), CRLF ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

async function getJson<T>(request: APIRequestContext, token: string, path: string): Promise<T> {
  const response = await request.get(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status(), path).toBe(200);
  return (await response.json()) as T;
}

/** Clicks a download button; the saved file's bytes and the name the browser gave it. */
async function downloaded(page: Page, button: string): Promise<{ bytes: Buffer; name: string }> {
  const started = page.waitForEvent("download");
  await page.getByRole("button", { name: button }).click();
  const download: Download = await started;
  return { bytes: readFileSync(await download.path()), name: download.suggestedFilename() };
}

/** The CSV's rows after checking the UTF-8 byte-order mark (Excel in Korea needs it). */
function csvRows(bytes: Buffer): string[][] {
  expect([...bytes.subarray(0, 3)], "UTF-8 BOM").toEqual([0xef, 0xbb, 0xbf]);
  return parseCsv(bytes.subarray(3).toString("utf8"));
}

/** The value cell of a figure row (row header = label) in the statement's summary. */
function figure(page: Page, label: string) {
  return page
    .getByTestId("statement")
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: label, exact: true }) })
    .getByRole("cell");
}

async function chooseMonth(page: Page, month: string) {
  await expect(page.getByRole("heading", { name: "월별 정산", exact: true })).toBeVisible();
  await page.getByLabel("정산 월").fill(month);
}

interface CaregiverStatement {
  month: string;
  visits: number;
  served_minutes: number;
  served_hours: number;
  hourly_rate_krw: number;
  base_krw: number;
  surcharge_krw: number;
  earnings_krw: number;
  lines: { start_at: string; recipient_name: string; served_minutes: number; base_krw: number; surcharge_krw: number; earnings_krw: number }[];
}

interface Totals {
  visits: number;
  nhis_krw: number;
  copay_krw: number;
  above_limit_krw: number;
}

interface AgencyStatement {
  month: string;
  totals: Totals;
  recipients: { name: string; totals: Totals; visits: unknown[] }[];
}

test("a caregiver's month: hours and earnings as the API computes them, CSV and PDF", async ({ page, request }, info) => {
  const month = lastMonth();
  const token = await apiToken(request, CAREGIVER);
  const me = await getJson<{ id: string }>(request, token, "/me/caregiver-profile");
  const api = await getJson<CaregiverStatement>(request, token, `/caregivers/${me.id}/statements/${month}`);
  expect(api.visits, "the seed serves last month").toBeGreaterThan(0);

  await login(page, CAREGIVER);
  await expect(page).toHaveURL(/\/caregiver\/offers$/);
  await openNav(page, info, "월별 정산");
  await chooseMonth(page, month);
  await expect(figure(page, "방문 수")).toHaveText(String(api.visits));
  await expect(figure(page, "근무 시간")).toHaveText(`${api.served_hours}시간`);
  await expect(figure(page, "시급")).toHaveText(won(api.hourly_rate_krw));
  await expect(figure(page, "기본 급여")).toHaveText(won(api.base_krw));
  await expect(figure(page, "가산 수당")).toHaveText(won(api.surcharge_krw));
  await expect(figure(page, "받을 금액")).toHaveText(won(api.earnings_krw));
  const lines = page.getByTestId("statement-line");
  await expect(lines).toHaveCount(api.lines.length);
  await expect(lines.first().getByRole("cell").last()).toHaveText(won(api.lines[0]?.earnings_krw ?? -1));
  await checkA11y(page);
  await screenshot(page, info, "caregiver-statement");

  const csv = await downloaded(page, "CSV 내려받기");
  expect(csv.name).toMatch(new RegExp(`${month}\\.csv$`));
  const [header, ...rows] = csvRows(csv.bytes);
  expect(header?.[0]).toBe("방문일");
  const total = rows.pop();
  // Per visit: day, recipient, minutes served, base, surcharge, earnings (columns as rendered).
  const pick = (r: string[]) => [r[0], r[1], r[7], r[11], r[12], r[13]];
  expect(rows.map(pick)).toEqual(
    api.lines.map((l) => [seoulDay(l.start_at), l.recipient_name, l.served_minutes, l.base_krw, l.surcharge_krw, l.earnings_krw].map(String)),
  );
  expect(total && pick(total)).toEqual(
    ["합계", `${api.visits}건`, api.served_minutes, api.base_krw, api.surcharge_krw, api.earnings_krw].map(String),
  );

  const pdf = await downloaded(page, "PDF 내려받기");
  expect(pdf.name).toMatch(new RegExp(`${month}\\.pdf$`));
  expect(pdf.bytes.subarray(0, 4).toString("latin1")).toBe("%PDF");
});

test("an agency's claim month: NHIS and co-pay per recipient as the API computes them, CSV and PDF", async ({
  page,
  request,
}, info) => {
  const month = lastMonth();
  const token = await apiToken(request, AGENCY);
  const me = await getJson<{ agency_id: string }>(request, token, "/me");
  const api = await getJson<AgencyStatement>(request, token, `/agencies/${me.agency_id}/statements/${month}`);
  expect(api.recipients.length, "the seed serves last month").toBeGreaterThan(0);

  await login(page, AGENCY);
  await expect(page).toHaveURL(/\/admin\/caregivers$/);
  await openNav(page, info, "월별 정산");
  await chooseMonth(page, month);
  await expect(figure(page, "공단 청구액")).toHaveText(won(api.totals.nhis_krw));
  await expect(figure(page, "본인부담금")).toHaveText(won(api.totals.copay_krw));
  const table = page.getByRole("table", { name: "대상자별 청구" });
  await expect(table.getByTestId("statement-line")).toHaveCount(api.recipients.length);
  for (const r of api.recipients) {
    // Columns: recipient, visits, NHIS claim, co-pay, above the limit.
    const cells = table.getByTestId("statement-line").filter({ hasText: r.name }).getByRole("cell");
    await expect(cells).toHaveText([r.name, String(r.totals.visits), won(r.totals.nhis_krw), won(r.totals.copay_krw), won(r.totals.above_limit_krw)]);
  }
  await checkA11y(page);
  await screenshot(page, info, "agency-statement");

  const csv = await downloaded(page, "CSV 내려받기");
  expect(csv.name).toMatch(new RegExp(`${month}\\.csv$`));
  const [header, ...rows] = csvRows(csv.bytes);
  expect(header?.[0]).toBe("수급자");
  // Totals rows: a subtotal per recipient, then the month's. Columns: visits, NHIS, co-pay, above limit.
  const pick = (r: string[]) => [r[0], r[3], r[9], r[10], r[11]];
  const sums = (label: string, t: Totals) => [label, `${t.visits}건`, t.nhis_krw, t.copay_krw, t.above_limit_krw].map(String);
  expect(rows.filter((r) => r[0]?.startsWith("소계 ") || r[0] === "합계").map(pick)).toEqual([
    ...api.recipients.map((r) => sums(`소계 ${r.name}`, r.totals)),
    sums("합계", api.totals),
  ]);
  const visitRows = rows.filter((r) => !(r[0]?.startsWith("소계 ") || r[0] === "합계"));
  expect(visitRows.length).toBe(api.recipients.reduce((n, r) => n + r.visits.length, 0));

  const pdf = await downloaded(page, "PDF 내려받기");
  expect(pdf.name).toMatch(new RegExp(`${month}\\.pdf$`));
  expect(pdf.bytes.subarray(0, 4).toString("latin1")).toBe("%PDF");
});
