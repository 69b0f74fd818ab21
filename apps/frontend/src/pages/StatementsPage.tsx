import { Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, Schemas } from "../api/client";
import { toProblem, unwrap } from "../api/problem";
import { useApi, useAuth } from "../auth/AuthContext";
import { Loading } from "../components/Loading";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatDateTime, formatKrw } from "../format";
import { localeOf } from "../i18n";
import { seoulDate } from "../schedule";

type Kind = "caregiver" | "agency";
type Format = "csv" | "pdf";

/** The file name the server gave (Content-Disposition), else ours. */
export function fileName(disposition: string | null, fallback: string): string {
  const match = /filename="?([^";]+)"?/.exec(disposition ?? "");
  return match?.[1] ?? fallback;
}

/**
 * Downloads go through the API client (the token is in a header, not the URL), then a blob link
 * the browser saves; nothing is opened in a new window.
 */
async function download(api: Api, kind: Kind, id: string, month: string, format: Format): Promise<void> {
  const call =
    kind === "caregiver"
      ? format === "csv"
        ? api.GET("/v1/caregivers/{caregiver_id}/statements/{month}/csv", { params: { path: { caregiver_id: id, month } }, parseAs: "blob" })
        : api.GET("/v1/caregivers/{caregiver_id}/statements/{month}/pdf", { params: { path: { caregiver_id: id, month } }, parseAs: "blob" })
      : format === "csv"
        ? api.GET("/v1/agencies/{agency_id}/statements/{month}/csv", { params: { path: { agency_id: id, month } }, parseAs: "blob" })
        : api.GET("/v1/agencies/{agency_id}/statements/{month}/pdf", { params: { path: { agency_id: id, month } }, parseAs: "blob" });
  const { data, response } = await call;
  if (!response.ok || !(data instanceof Blob)) {
    // A problem+json body, read as a blob: turn it back into the problem the screen shows.
    const text = data instanceof Blob ? await data.text() : "";
    let problem: unknown = undefined;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = undefined;
    }
    await unwrap(Promise.resolve({ error: problem ?? "download failed", response }));
    return;
  }
  const url = URL.createObjectURL(data);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName(response.headers.get("Content-Disposition"), `statement-${month}.${format}`);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Downloads({ kind, id, month }: { kind: Kind; id: string; month: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const save = useMutation({ mutationFn: (format: Format) => download(api, kind, id, month, format) });
  return (
    <Stack gap="xs">
      <Group>
        <Button variant="default" onClick={() => save.mutate("csv")} loading={save.isPending && save.variables === "csv"}>
          {t("statements.csv")}
        </Button>
        <Button variant="default" onClick={() => save.mutate("pdf")} loading={save.isPending && save.variables === "pdf"}>
          {t("statements.pdf")}
        </Button>
      </Group>
      <ProblemAlert problem={save.error ? toProblem(save.error) : null} />
    </Stack>
  );
}

/**
 * On a phone the tables scroll sideways: their container takes the keyboard focus (arrow keys
 * scroll it) and is a named region, as axe's scrollable-region-focusable asks. `native`: the
 * container itself scrolls (Mantine's default ScrollArea scrolls an inner viewport we cannot
 * make focusable).
 */
function scrollable(label: string) {
  return { type: "native", tabIndex: 0, role: "region", "aria-label": label } as const;
}

function Figures({ rows }: { rows: [string, string][] }) {
  return (
    <Table withRowBorders={false} verticalSpacing={2}>
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th scope="row">{label}</Table.Th>
            <Table.Td ta="right">{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function CaregiverStatement({ statement, locale }: { statement: Schemas["CaregiverStatementOut"]; locale: string }) {
  const { t } = useTranslation();
  const krw = (n: number) => formatKrw(n, locale);
  return (
    <Stack data-testid="statement">
      <Card withBorder>
        <Figures
          rows={[
            [t("statements.visits"), String(statement.visits)],
            [t("statements.hours"), t("statements.hoursValue", { hours: statement.served_hours })],
            [t("statements.rate"), krw(statement.hourly_rate_krw)],
            [t("statements.base"), krw(statement.base_krw)],
            [t("statements.surcharge"), krw(statement.surcharge_krw)],
            [t("statements.earnings"), krw(statement.earnings_krw)],
            [t("statements.exceptionVisits"), String(statement.exception_visits)],
          ]}
        />
      </Card>
      <Table.ScrollContainer minWidth={560} {...scrollable(t("statements.lines"))}>
        <Table striped aria-label={t("statements.lines")}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t("statements.when")}</Table.Th>
              <Table.Th scope="col">{t("bookings.recipient")}</Table.Th>
              <Table.Th scope="col">{t("statements.minutes")}</Table.Th>
              <Table.Th scope="col" ta="right">{t("statements.earnings")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {statement.lines.map((line) => (
              <Table.Tr key={line.booking_id} data-testid="statement-line">
                <Table.Td>{formatDateTime(line.start_at, locale)}</Table.Td>
                <Table.Td>{line.recipient_name}</Table.Td>
                <Table.Td>
                  {line.served_minutes}
                  {line.exceptions.length ? ` · ${t("statements.flagged")}` : ""}
                </Table.Td>
                <Table.Td ta="right">{krw(line.earnings_krw)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

function AgencyStatement({ statement, locale }: { statement: Schemas["AgencyStatementOut"]; locale: string }) {
  const { t } = useTranslation();
  const krw = (n: number) => formatKrw(n, locale);
  const totals = statement.totals;
  return (
    <Stack data-testid="statement">
      <Card withBorder>
        <Text fw={700} mb="xs">{statement.agency_name}</Text>
        <Figures
          rows={[
            [t("statements.visits"), String(totals.visits)],
            [t("split.amount"), krw(totals.amount_krw)],
            [t("statements.nhisClaim"), krw(totals.nhis_krw)],
            [t("split.copay"), krw(totals.copay_krw)],
            [t("split.aboveLimit"), krw(totals.above_limit_krw)],
            [t("statements.underReview"), krw(totals.nhis_under_review_krw)],
          ]}
        />
      </Card>
      <Table.ScrollContainer minWidth={560} {...scrollable(t("statements.recipients"))}>
        <Table striped aria-label={t("statements.recipients")}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t("bookings.recipient")}</Table.Th>
              <Table.Th scope="col">{t("statements.visits")}</Table.Th>
              <Table.Th scope="col" ta="right">{t("statements.nhisClaim")}</Table.Th>
              <Table.Th scope="col" ta="right">{t("split.copay")}</Table.Th>
              <Table.Th scope="col" ta="right">{t("split.aboveLimit")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {statement.recipients.map((r) => (
              <Table.Tr key={r.recipient_id} data-testid="statement-line">
                <Table.Td>{r.name}</Table.Td>
                <Table.Td>{r.totals.visits}</Table.Td>
                <Table.Td ta="right">{krw(r.totals.nhis_krw)}</Table.Td>
                <Table.Td ta="right">{krw(r.totals.copay_krw)}</Table.Td>
                <Table.Td ta="right">{krw(r.totals.above_limit_krw)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** Monthly statement: a caregiver's own month, or an agency's claim month, with CSV/PDF. */
export default function StatementsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const { user } = useAuth();
  const locale = localeOf(i18n.language);
  const kind: Kind = user?.role === "caregiver" ? "caregiver" : "agency";
  const [month, setMonth] = useState(() => seoulDate().slice(0, 7));
  const [chosenAgency, setChosenAgency] = useState<string | null>(null);
  const profile = useQuery({
    queryKey: ["caregiver-profile"],
    queryFn: () => unwrap(api.GET("/v1/me/caregiver-profile")),
    enabled: kind === "caregiver",
  });
  const agencies = useQuery({
    queryKey: ["agencies"],
    queryFn: () => unwrap(api.GET("/v1/agencies", { params: { query: { limit: 100 } } })),
    enabled: user?.role === "platform_admin",
  });
  const id = kind === "caregiver" ? profile.data?.id : (user?.agency_id ?? chosenAgency);
  const valid = /^\d{4}-\d{2}$/.test(month);
  const caregiverStatement = useQuery({
    queryKey: ["statements", "caregiver", id, month],
    queryFn: () =>
      unwrap(api.GET("/v1/caregivers/{caregiver_id}/statements/{month}", { params: { path: { caregiver_id: id ?? "", month } } })),
    enabled: kind === "caregiver" && Boolean(id) && valid,
  });
  const agencyStatement = useQuery({
    queryKey: ["statements", "agency", id, month],
    queryFn: () =>
      unwrap(api.GET("/v1/agencies/{agency_id}/statements/{month}", { params: { path: { agency_id: id ?? "", month } } })),
    enabled: kind === "agency" && Boolean(id) && valid,
  });
  const current = kind === "caregiver" ? caregiverStatement : agencyStatement;

  return (
    <Stack>
      <Title order={2}>{t("statements.title")}</Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={t("statements.month")}
          type="month"
          value={month}
          onChange={(e) => setMonth(e.currentTarget.value)}
          error={valid ? undefined : t("v.date")}
        />
        {user?.role === "platform_admin" ? (
          <Select
            label={t("statements.agency")}
            value={chosenAgency}
            onChange={setChosenAgency}
            data={(agencies.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))}
          />
        ) : null}
      </SimpleGrid>
      {id && valid ? <Downloads kind={kind} id={id} month={month} /> : null}
      {current.isFetching ? <Loading /> : null}
      <ProblemAlert problem={current.error ? toProblem(current.error) : profile.error ? toProblem(profile.error) : null} />
      {kind === "caregiver" && caregiverStatement.data ? (
        <CaregiverStatement statement={caregiverStatement.data} locale={locale} />
      ) : null}
      {kind === "agency" && agencyStatement.data ? (
        <AgencyStatement statement={agencyStatement.data} locale={locale} />
      ) : null}
    </Stack>
  );
}
