import { Badge, Button, Card, Group, SegmentedControl, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toProblem, unwrap } from "../../api/problem";
import { useApi, useAuth } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";

type Status = "pending" | "verified" | "rejected";
const COLOR = { pending: "yellow", verified: "teal", rejected: "red" } as const;

/** Licence verification: platform admins decide; agency admins see their caregivers' status. */
export default function VerifyPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<Status | "all">("pending");
  const mayDecide = user?.role === "platform_admin";
  const caregivers = useQuery({
    queryKey: ["caregivers"],
    queryFn: () => unwrap(api.GET("/v1/caregivers", { params: { query: { limit: 100 } } })),
  });
  const decide = useMutation({
    mutationFn: (args: { id: string; status: Status }) =>
      unwrap(
        api.PUT("/v1/caregivers/{caregiver_id}/verification", {
          params: { path: { caregiver_id: args.id } },
          body: { status: args.status },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["caregivers"] }),
  });
  const items = caregivers.data?.items.filter((c) => filter === "all" || c.verification_status === filter) ?? [];

  return (
    <Stack>
      <Title order={2}>{t("verify.title")}</Title>
      <SegmentedControl aria-label={t("verify.filter")} value={filter}
        onChange={(v) => setFilter(v)}
        data={(["pending", "verified", "rejected", "all"] as const).map((s) => ({
          value: s,
          label: s === "all" ? t("verify.all") : t(`verification.${s}`),
        }))} />
      {!mayDecide ? <Text>{t("verify.readOnly")}</Text> : null}
      <ProblemAlert problem={decide.error ? toProblem(decide.error) : null} />
      {caregivers.isPending ? <Loading /> : null}
      <ProblemAlert problem={caregivers.error ? toProblem(caregivers.error) : null} />
      {caregivers.data && items.length === 0 ? <Text>{t("verify.empty")}</Text> : null}
      <Stack gap="xs">
        {items.map((c) => (
          <Card key={c.id} withBorder padding="sm" data-testid="verify-row">
            <Group justify="space-between" wrap="wrap">
              <div>
                <Text fw={700}>{t("verify.licence", { number: c.licence_number })}</Text>
                <Text size="sm">{t(`gender.${c.gender}`)} · {c.languages.map((l) => t(`lang.${l}`)).join(", ")}</Text>
              </div>
              <Group gap="xs">
                <Badge color={COLOR[c.verification_status]} variant="light">{t(`verification.${c.verification_status}`)}</Badge>
                {mayDecide && c.verification_status !== "verified" ? (
                  <Button size="xs" loading={decide.isPending && decide.variables.id === c.id}
                    onClick={() => decide.mutate({ id: c.id, status: "verified" })}
                    aria-label={t("verify.approveNamed", { number: c.licence_number })}>
                    {t("verify.approve")}
                  </Button>
                ) : null}
                {mayDecide && c.verification_status !== "rejected" ? (
                  <Button size="xs" variant="default"
                    onClick={() => decide.mutate({ id: c.id, status: "rejected" })}
                    aria-label={t("verify.rejectNamed", { number: c.licence_number })}>
                    {t("verify.reject")}
                  </Button>
                ) : null}
              </Group>
            </Group>
          </Card>
        ))}
      </Stack>
    </Stack>
  );
}
