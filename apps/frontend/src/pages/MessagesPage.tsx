import { Anchor, Badge, Button, Card, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { toProblem, unwrap } from "../api/problem";
import { useApi, useAuth } from "../auth/AuthContext";
import { Loading } from "../components/Loading";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatDateTime } from "../format";
import { localeOf } from "../i18n";

/** Your booking threads with unread counts; a new message refreshes the list live. */
export function ThreadsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const threads = useQuery({
    queryKey: ["messages", "threads"],
    queryFn: () => unwrap(api.GET("/v1/message-threads", { params: { query: { limit: 50 } } })),
  });
  const items = threads.data?.items.slice().sort((a, b) => b.last_message_at.localeCompare(a.last_message_at)) ?? [];
  return (
    <Stack>
      <Title order={2}>{t("messages.title")}</Title>
      {threads.isPending ? <Loading /> : null}
      <ProblemAlert problem={threads.error ? toProblem(threads.error) : null} />
      {threads.data && items.length === 0 ? <Text>{t("messages.noThreads")}</Text> : null}
      <Stack gap="xs">
        {items.map((thread) => (
          <Card key={thread.booking_id} withBorder padding="sm" data-testid="thread">
            <Group justify="space-between" wrap="wrap">
              <div>
                <Anchor component={Link} to={`/messages/${thread.booking_id}`} fw={700}>
                  {t("messages.thread", { at: formatDateTime(thread.last_message_at, locale) })}
                </Anchor>
                <Text size="sm">{t("messages.count", { count: thread.message_count })}</Text>
              </div>
              {thread.unread_count > 0 ? (
                <Badge color="red" variant="light">
                  {t("messages.unread", { count: thread.unread_count })}
                </Badge>
              ) : null}
            </Group>
          </Card>
        ))}
      </Stack>
    </Stack>
  );
}

/** One booking's thread: family, caregiver and agency; oldest first, read when shown. */
export function ThreadPage() {
  const { t, i18n } = useTranslation();
  const { bookingId = "" } = useParams();
  const api = useApi();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const locale = localeOf(i18n.language);
  const path = { params: { path: { booking_id: bookingId } } };
  const [body, setBody] = useState("");
  const thread = useQuery({
    queryKey: ["messages", bookingId],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}/messages", { params: { ...path.params, query: { limit: 100 } } })),
  });
  const booking = useQuery({
    queryKey: ["bookings", bookingId],
    queryFn: () => unwrap(api.GET("/v1/bookings/{booking_id}", path)),
  });
  const unread = thread.data?.unread_count ?? 0;
  useEffect(() => {
    if (unread === 0) return;
    void unwrap(api.POST("/v1/bookings/{booking_id}/messages/read", path)).then(() =>
      queryClient.invalidateQueries({ queryKey: ["messages", "threads"] }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per new unread message
  }, [unread, bookingId]);
  const send = useMutation({
    mutationFn: (text: string) => unwrap(api.POST("/v1/bookings/{booking_id}/messages", { ...path, body: { body: text } })),
    onSuccess: () => {
      setBody("");
      void queryClient.invalidateQueries({ queryKey: ["messages"] });
    },
  });
  const mine = (role: string) =>
    (user?.role === "family" && role === "family") ||
    (user?.role === "caregiver" && role === "caregiver") ||
    ((user?.role === "agency_admin" || user?.role === "platform_admin") && role === "agency");

  return (
    <Stack>
      <Anchor component={Link} to="/messages" size="sm">
        {t("messages.back")}
      </Anchor>
      <Title order={2}>{t("messages.threadTitle")}</Title>
      {booking.data ? (
        <Text size="sm">
          {formatDateTime(booking.data.start_at, locale)} – {formatDateTime(booking.data.end_at, locale)}
        </Text>
      ) : null}
      {thread.isPending ? <Loading /> : null}
      <ProblemAlert problem={thread.error ? toProblem(thread.error) : null} />
      <Stack gap="xs" aria-live="polite" data-testid="messages">
        {thread.data?.items.length === 0 ? <Text>{t("messages.empty")}</Text> : null}
        {thread.data?.items.map((m) => (
          <Card
            key={m.id}
            withBorder
            padding="xs"
            data-testid="message"
            data-role={m.sender_role}
            ml={mine(m.sender_role) ? "xl" : 0}
            mr={mine(m.sender_role) ? 0 : "xl"}
          >
            <Text size="xs" c="dimmed">
              {t(`messages.role.${m.sender_role}`)} · {formatDateTime(m.created_at, locale)}
            </Text>
            <Text>{m.body}</Text>
          </Card>
        ))}
      </Stack>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (body.trim()) send.mutate(body.trim());
        }}
      >
        <Stack gap="xs">
          <Textarea
            label={t("messages.compose")}
            value={body}
            onChange={(e) => setBody(e.currentTarget.value)}
            maxLength={2000}
            autosize
            minRows={2}
          />
          <ProblemAlert problem={send.error ? toProblem(send.error) : null} />
          <Group justify="flex-end">
            <Button type="submit" loading={send.isPending} disabled={!body.trim()}>
              {t("messages.send")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

export default ThreadsPage;
