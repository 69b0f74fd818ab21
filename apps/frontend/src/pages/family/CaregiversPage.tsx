import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatKrw } from "../../format";
import { localeOf } from "../../i18n";

/** Verified caregivers a family may see (the API does not expose match scores to families). */
export default function CaregiversPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const locale = localeOf(i18n.language);
  const caregivers = useQuery({
    queryKey: ["caregivers"],
    queryFn: () => unwrap(api.GET("/v1/caregivers", { params: { query: { limit: 100 } } })),
  });
  return (
    <Stack>
      <Title order={2}>{t("caregivers.title")}</Title>
      <Text>{t("caregivers.intro")}</Text>
      {caregivers.isPending ? <Loading /> : null}
      <ProblemAlert problem={caregivers.error ? toProblem(caregivers.error) : null} />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {caregivers.data?.items.map((c) => (
          <Card key={c.id} withBorder data-testid="caregiver">
            <Group justify="space-between">
              <Text fw={700}>{t(`gender.${c.gender}`)} · {c.languages.map((l) => t(`lang.${l}`)).join(", ")}</Text>
              <Badge color="teal" variant="light">{t(`verification.${c.verification_status}`)}</Badge>
            </Group>
            <Text size="sm" mt="xs">
              {t("caregivers.rate", { rate: formatKrw(c.hourly_rate_krw, locale) })}
            </Text>
            <Text size="sm">{t("caregivers.radius", { km: c.service_radius_km })}</Text>
            <Text size="sm">
              {c.rating_avg !== null
                ? t("caregivers.rating", { rating: c.rating_avg.toFixed(1), count: c.rating_count })
                : t("caregivers.noRating")}
            </Text>
            <Group gap={4} mt="xs">
              {(c.skills ?? []).map((s) => (
                <Badge key={s} variant="outline" color="gray">{t(`skill.${s}`)}</Badge>
              ))}
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
