import { Badge, Button, Card, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { toProblem, unwrap } from "../api/problem";
import { useApi, useAuth } from "../auth/AuthContext";
import { useSchemaForm } from "../forms";
import { Loading } from "./Loading";
import { ProblemAlert } from "./ProblemAlert";

export const inviteSchema = z.object({
  email: z.string().trim().min(1, "v.required").max(254, "v.tooLong").pipe(z.email("v.email")),
  role: z.enum(["owner", "viewer"]),
});

/** Share a recipient with another family member: members, open invitations, a new invitation. */
export function SharePanel({ recipientId, name }: { recipientId: string; name: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const path = { params: { path: { recipient_id: recipientId } } };
  const members = useQuery({
    queryKey: ["recipients", recipientId, "members"],
    queryFn: () => unwrap(api.GET("/v1/recipients/{recipient_id}/members", path)),
  });
  const me = members.data?.find((m) => m.user_id === user?.id);
  const owner = me?.role === "owner";
  const invitations = useQuery({
    queryKey: ["recipients", recipientId, "invitations"],
    queryFn: () => unwrap(api.GET("/v1/recipients/{recipient_id}/invitations", path)),
    enabled: owner,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["recipients", recipientId] });
  const form = useSchemaForm(inviteSchema, { email: "", role: "viewer" });
  const err = (field: string) => (form.errors[field] ? t(form.errors[field]) : undefined);
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/v1/recipients/{recipient_id}/invitations/{invitation_id}", {
          params: { path: { recipient_id: recipientId, invitation_id: id } },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (memberId: string) =>
      unwrap(
        api.DELETE("/v1/recipients/{recipient_id}/members/{member_id}", {
          params: { path: { recipient_id: recipientId, member_id: memberId } },
        }),
      ),
    onSuccess: refresh,
  });
  const heading = `share-${recipientId}`;
  const pending = invitations.data?.filter((i) => i.status === "pending") ?? [];

  return (
    <Card withBorder component="section" aria-labelledby={heading} data-testid="share" mt="sm">
      <Title order={3} size="h5" id={heading} mb="xs">
        {t("share.title", { name })}
      </Title>
      {members.isPending ? <Loading /> : null}
      <ProblemAlert problem={members.error ? toProblem(members.error) : null} />
      <Stack gap={4}>
        {members.data?.map((m) => (
          <Group key={m.user_id} justify="space-between" wrap="nowrap" data-testid="member">
            <Text size="sm">
              {m.display_name} ({m.email})
            </Text>
            <Group gap={4} wrap="nowrap">
              <Badge variant="light">{t(`share.role.${m.role}`)}</Badge>
              {owner && !m.primary && m.user_id !== user?.id ? (
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  onClick={() => remove.mutate(m.user_id)}
                  aria-label={t("share.removeNamed", { name: m.display_name })}
                >
                  {t("common.remove")}
                </Button>
              ) : null}
            </Group>
          </Group>
        ))}
        {pending.map((i) => (
          <Group key={i.id} justify="space-between" wrap="nowrap" data-testid="invitation">
            <Text size="sm">{t("share.pending", { email: i.email })}</Text>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => revoke.mutate(i.id)}
              aria-label={t("share.revokeNamed", { email: i.email })}
            >
              {t("share.revoke")}
            </Button>
          </Group>
        ))}
      </Stack>
      <ProblemAlert problem={revoke.error ? toProblem(revoke.error) : remove.error ? toProblem(remove.error) : null} />
      {owner ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void form
              .submit(async (data) => {
                await unwrap(api.POST("/v1/recipients/{recipient_id}/invitations", { ...path, body: data }));
                await refresh();
              })
              .then((ok) => ok && form.setValues({ email: "", role: "viewer" }));
          }}
        >
          <Stack gap="xs" mt="sm">
            <ProblemAlert problem={form.problem} />
            <Group align="flex-end" wrap="wrap">
              <TextInput
                label={t("share.email")}
                type="email"
                required
                value={form.values.email}
                onChange={(e) => form.set("email", e.currentTarget.value)}
                error={err("email")}
                style={{ flex: "1 1 200px" }}
              />
              <Select
                label={t("share.roleLabel")}
                value={form.values.role}
                onChange={(v) => form.set("role", v === "owner" ? "owner" : "viewer")}
                data={[
                  { value: "viewer", label: t("share.role.viewer") },
                  { value: "owner", label: t("share.role.owner") },
                ]}
                allowDeselect={false}
                w={140}
              />
              <Button type="submit" loading={form.submitting}>
                {t("share.invite")}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </Card>
  );
}

/** Invitations addressed to me: accept to see the recipient, or decline. */
export function MyInvitations() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ["invitations"], queryFn: () => unwrap(api.GET("/v1/invitations")) });
  const respond = useMutation({
    mutationFn: (args: { id: string; accept: boolean }) =>
      unwrap(
        args.accept
          ? api.POST("/v1/invitations/{invitation_id}/accept", { params: { path: { invitation_id: args.id } } })
          : api.POST("/v1/invitations/{invitation_id}/decline", { params: { path: { invitation_id: args.id } } }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["invitations"] });
      void queryClient.invalidateQueries({ queryKey: ["recipients"] });
    },
  });
  const open = list.data?.filter((i) => i.status === "pending") ?? [];
  if (open.length === 0) return null;
  return (
    <Card withBorder component="section" aria-labelledby="my-invitations" data-testid="my-invitations">
      <Title order={3} size="h5" id="my-invitations" mb="xs">
        {t("share.invited")}
      </Title>
      <Stack gap="xs">
        {open.map((i) => (
          <Group key={i.id} justify="space-between" wrap="wrap">
            <Text size="sm">{t("share.invitedAs", { role: t(`share.role.${i.role}`) })}</Text>
            <Group gap="xs">
              <Button size="xs" onClick={() => respond.mutate({ id: i.id, accept: true })}>
                {t("share.accept")}
              </Button>
              <Button size="xs" variant="default" onClick={() => respond.mutate({ id: i.id, accept: false })}>
                {t("share.decline")}
              </Button>
            </Group>
          </Group>
        ))}
      </Stack>
      <ProblemAlert problem={respond.error ? toProblem(respond.error) : null} />
    </Card>
  );
}
