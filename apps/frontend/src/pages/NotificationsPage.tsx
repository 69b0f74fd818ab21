import { Badge, Button, Card, Group, Stack, Text, Title } from "@mantine/core";
import { PushToggle } from "../components/PushToggle";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { toProblem, unwrap } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { Loading } from "../components/Loading";
import { ProblemAlert } from "../components/ProblemAlert";
import { useLiveEvents } from "../events/LiveEvents";
import { formatDateTime } from "../format";
import { localeOf } from "../i18n";

/** The notification feed; new items appear live (the event stream invalidates this query). */
export default function NotificationsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const live = useLiveEvents();
  const feed = useQuery({
    queryKey: ["notifications"],
    queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: 50 } } })),
  });
  const read = useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const items = feed.data?.items.slice().sort((a, b) => b.id - a.id) ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("notifications.title")}</Title>
        <Badge variant="light" color={live.status === "open" ? "teal" : "gray"}>{t(`live.${live.status}`)}</Badge>
      </Group>
      <PushToggle />
      {feed.isPending ? <Loading /> : null}
      <ProblemAlert problem={feed.error ? toProblem(feed.error) : null} />
      {feed.data && items.length === 0 ? <Text>{t("notifications.empty")}</Text> : null}
      <Stack gap="xs" aria-live="polite">
        {items.map((n) => (
          <Card key={n.id} withBorder padding="sm" data-testid="notification" data-kind={n.kind}>
            <Group justify="space-between" wrap="wrap">
              <div>
                <Text fw={n.read_at ? 400 : 700}>{t(`kind.${n.kind}`, { defaultValue: n.kind })}</Text>
                <Text size="sm">{formatDateTime(n.created_at, localeOf(i18n.language))}</Text>
              </div>
              {n.read_at ? null : (
                <Button size="xs" variant="subtle" onClick={() => read.mutate(n.id)}>{t("notifications.markRead")}</Button>
              )}
            </Group>
          </Card>
        ))}
      </Stack>
    </Stack>
  );
}
