import { Badge, Button, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../../api/client";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCountdown, formatDateTime } from "../../format";
import { localeOf } from "../../i18n";

type Offer = Schemas["OfferOut"];

/** Re-renders every second while mounted; returns the current time. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

export function Countdown({ expiresAt }: { expiresAt: string }) {
  const { t } = useTranslation();
  const now = useNow();
  const left = Date.parse(expiresAt) - now;
  return (
    <Text className="countdown" fw={700} c={left < 60_000 ? "red.9" : undefined} data-testid="countdown">
      {left > 0 ? t("offers.timeLeft", { time: formatCountdown(left) }) : t("offers.expired")}
    </Text>
  );
}

function OfferCard({ offer }: { offer: Offer }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const answer = useMutation({
    mutationFn: (action: "accept" | "decline") => {
      const params = { path: { offer_id: offer.id } };
      return unwrap(
        action === "accept"
          ? api.POST("/v1/offers/{offer_id}/accept", { params })
          : api.POST("/v1/offers/{offer_id}/decline", { params }),
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["offers"] }),
  });
  const now = useNow();
  const pending = offer.status === "pending" && Date.parse(offer.expires_at) > now;
  return (
    <Card withBorder data-testid="offer" data-status={offer.status}>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Text fw={700}>{t("offers.offer", { wave: offer.wave })}</Text>
          <Text size="sm">{t("offers.offeredAt", { at: formatDateTime(offer.offered_at, localeOf(i18n.language)) })}</Text>
        </div>
        {offer.status === "pending" ? (
          <Countdown expiresAt={offer.expires_at} />
        ) : (
          <Badge variant="light" color={offer.status === "accepted" ? "teal" : "gray"}>
            {t(`offerStatus.${offer.status}`, { defaultValue: offer.status })}
          </Badge>
        )}
      </Group>
      <ProblemAlert problem={answer.error ? toProblem(answer.error) : null} />
      {pending ? (
        <Group justify="flex-end" mt="sm">
          <Button variant="default" loading={answer.isPending && answer.variables === "decline"}
            onClick={() => answer.mutate("decline")}>
            {t("offers.decline")}
          </Button>
          <Button loading={answer.isPending && answer.variables === "accept"} onClick={() => answer.mutate("accept")}>
            {t("offers.accept")}
          </Button>
        </Group>
      ) : null}
    </Card>
  );
}

export default function OffersPage() {
  const { t } = useTranslation();
  const api = useApi();
  // Kept fresh by the live event stream (offer_made / offer_withdrawn invalidate it).
  const offers = useQuery({
    queryKey: ["offers"],
    queryFn: () => unwrap(api.GET("/v1/offers")),
  });
  return (
    <Stack>
      <Title order={2}>{t("offers.title")}</Title>
      <Text>{t("offers.intro")}</Text>
      {offers.isPending ? <Loading /> : null}
      <ProblemAlert problem={offers.error ? toProblem(offers.error) : null} />
      {offers.data && offers.data.length === 0 ? <Text>{t("offers.empty")}</Text> : null}
      <Stack gap="sm" aria-live="polite">
        {offers.data?.map((o) => <OfferCard key={o.id} offer={o} />)}
      </Stack>
    </Stack>
  );
}
