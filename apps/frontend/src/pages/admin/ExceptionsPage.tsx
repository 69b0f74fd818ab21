import { Badge, Button, Card, Group, SegmentedControl, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDateTime } from "../../format";
import { localeOf } from "../../i18n";

type Status = "open" | "accepted" | "rejected";
type VisitException = Schemas["VisitExceptionOut"];
const COLOR = { open: "yellow", accepted: "teal", rejected: "red" } as const;

function ExceptionCard({ item, locale }: { item: VisitException; locale: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const [note, setNote] = useState("");
  const resolve = useMutation({
    mutationFn: (decision: "accepted" | "rejected") =>
      unwrap(
        api.POST("/v1/visit-exceptions/{exception_id}/resolve", {
          params: { path: { exception_id: item.id } },
          body: { decision, note },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["visit-exceptions"] }),
  });
  const heading = `exception-${item.id}`;
  const reason = t(`exceptionReason.${item.reason}`);
  return (
    <Card withBorder component="article" aria-labelledby={heading} data-testid="exception" data-status={item.status} data-booking={item.booking_id}>
      <Group justify="space-between" wrap="wrap">
        <Title order={3} size="h5" id={heading}>
          {reason}
        </Title>
        <Badge color={COLOR[item.status]} variant="light">
          {t(`exceptionStatus.${item.status}`)}
        </Badge>
      </Group>
      <Text size="sm" mt={4}>
        {t("exceptions.recorded", { at: formatDateTime(item.created_at, locale) })}
      </Text>
      <Text size="sm" data-testid="exception-detail">
        {item.detail}
      </Text>
      {item.status === "open" ? (
        <Stack gap="xs" mt="sm">
          <Textarea
            label={t("exceptions.note")}
            autosize
            minRows={2}
            maxLength={1000}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
          />
          <Group>
            <Button
              onClick={() => resolve.mutate("accepted")}
              loading={resolve.isPending && resolve.variables === "accepted"}
            >
              {t("exceptions.accept")}
            </Button>
            <Button
              color="red"
              variant="outline"
              onClick={() => resolve.mutate("rejected")}
              loading={resolve.isPending && resolve.variables === "rejected"}
            >
              {t("exceptions.reject")}
            </Button>
          </Group>
          <ProblemAlert problem={resolve.error ? toProblem(resolve.error) : null} />
        </Stack>
      ) : (
        <Text size="sm" mt="xs">
          {item.resolved_at ? t("exceptions.resolved", { at: formatDateTime(item.resolved_at, locale) }) : null}
          {item.resolution_note ? ` · ${item.resolution_note}` : ""}
        </Text>
      )}
    </Card>
  );
}

/** The agency's EVV review queue: doubtful check-ins/outs to accept or reject. */
export default function ExceptionsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const [filter, setFilter] = useState<Status | "all">("open");
  const list = useQuery({
    queryKey: ["visit-exceptions", filter],
    queryFn: () =>
      unwrap(
        api.GET("/v1/visit-exceptions", {
          params: { query: filter === "all" ? { limit: 100 } : { limit: 100, status: filter } },
        }),
      ),
  });
  const items = list.data?.items.slice().reverse() ?? [];
  return (
    <Stack>
      <Title order={2}>{t("exceptions.title")}</Title>
      <Text>{t("exceptions.intro")}</Text>
      <SegmentedControl
        aria-label={t("verify.filter")}
        value={filter}
        onChange={(v) => setFilter(v === "accepted" || v === "rejected" || v === "all" ? v : "open")}
        data={[
          { value: "open", label: t("exceptionStatus.open") },
          { value: "accepted", label: t("exceptionStatus.accepted") },
          { value: "rejected", label: t("exceptionStatus.rejected") },
          { value: "all", label: t("verify.all") },
        ]}
      />
      {list.isPending ? <Loading /> : null}
      <ProblemAlert problem={list.error ? toProblem(list.error) : null} />
      {list.data && items.length === 0 ? <Text>{t("exceptions.empty")}</Text> : null}
      <Stack gap="xs">
        {items.map((item) => (
          <ExceptionCard key={item.id} item={item} locale={locale} />
        ))}
      </Stack>
    </Stack>
  );
}
