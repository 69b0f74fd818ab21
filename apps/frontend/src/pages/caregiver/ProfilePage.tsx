import { Alert, Badge, Button, Card, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import type { Schemas } from "../../api/client";
import { ApiError, toProblem, unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDate } from "../../format";
import { localeOf } from "../../i18n";
import { useSchemaForm } from "../../forms";

export const SKILLS = ["dementia", "mobility", "bathing", "meal", "medication", "housekeeping", "companionship", "hospital_escort", "bedridden"] as const;
export const LANGS = ["ko", "en", "zh", "vi", "ja", "ru", "uz", "tl"] as const;

export const profileSchema = z.object({
  licence_number: z.string().trim().min(1, "v.required").max(40, "v.tooLong"),
  gender: z.enum(["female", "male"]),
  languages: z.array(z.enum(LANGS)).min(1, "v.oneLanguage"),
  skills: z.array(z.enum(SKILLS)),
  latitude: z.number({ error: "v.required" }).min(-90, "v.range").max(90, "v.range"),
  longitude: z.number({ error: "v.required" }).min(-180, "v.range").max(180, "v.range"),
  service_radius_km: z.number({ error: "v.required" }).gt(0, "v.range").max(100, "v.range"),
  hourly_rate_krw: z.number({ error: "v.required" }).int().min(0, "v.range").max(1_000_000, "v.range"),
});

type Profile = Schemas["CaregiverOut"];
const STATUS_COLOR = { pending: "yellow", verified: "teal", rejected: "red" } as const;

function ProfileForm({ profile }: { profile: Profile | null }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const form = useSchemaForm(
    profileSchema,
    profile
      ? {
          licence_number: profile.licence_number,
          gender: profile.gender,
          languages: profile.languages,
          skills: profile.skills ?? [],
          latitude: profile.latitude,
          longitude: profile.longitude,
          service_radius_km: profile.service_radius_km,
          hourly_rate_krw: profile.hourly_rate_krw,
        }
      : {
          licence_number: "",
          gender: "female",
          languages: ["ko"],
          skills: [],
          latitude: 37.5665,
          longitude: 126.978,
          service_radius_km: 5,
          hourly_rate_krw: 15000,
        },
  );
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);
  const num = (value: string | number) => (typeof value === "number" ? value : Number.NaN);

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void form.submit(async (data) => {
          await unwrap(
            profile
              ? api.PUT("/v1/caregivers/{caregiver_id}", { params: { path: { caregiver_id: profile.id } }, body: data })
              : api.POST("/v1/caregivers", { body: data }),
          );
          await queryClient.invalidateQueries({ queryKey: ["my-profile"] });
        });
      }}
    >
      <Stack>
        <ProblemAlert problem={form.problem} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("profile.licence")} required value={form.values.licence_number}
            onChange={(e) => form.set("licence_number", e.currentTarget.value)} error={err("licence_number")} />
          <Select label={t("profile.gender")} value={form.values.gender} allowDeselect={false}
            onChange={(v) => form.set("gender", (v ?? "female"))}
            data={[{ value: "female", label: t("gender.female") }, { value: "male", label: t("gender.male") }]} />
          <MultiSelect label={t("profile.languages")} value={form.values.languages}
            onChange={(v) => form.set("languages", v)}
            data={LANGS.map((l) => ({ value: l, label: t(`lang.${l}`) }))} error={err("languages")} />
          <MultiSelect label={t("profile.skills")} value={form.values.skills}
            onChange={(v) => form.set("skills", v)}
            data={SKILLS.map((s) => ({ value: s, label: t(`skill.${s}`) }))} error={err("skills")} />
          <NumberInput label={t("profile.latitude")} decimalScale={5} value={form.values.latitude}
            onChange={(v) => form.set("latitude", num(v))} error={err("latitude")} />
          <NumberInput label={t("profile.longitude")} decimalScale={5} value={form.values.longitude}
            onChange={(v) => form.set("longitude", num(v))} error={err("longitude")} />
          <NumberInput label={t("profile.radius")} value={form.values.service_radius_km}
            onChange={(v) => form.set("service_radius_km", num(v))} error={err("service_radius_km")} />
          <NumberInput label={t("profile.rate")} thousandSeparator="," step={500} value={form.values.hourly_rate_krw}
            onChange={(v) => form.set("hourly_rate_krw", num(v))} error={err("hourly_rate_krw")} />
        </SimpleGrid>
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting}>{profile ? t("common.save") : t("profile.create")}</Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function ProfilePage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const profile = useQuery({
    queryKey: ["my-profile"],
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/v1/me/caregiver-profile"));
      } catch (error) {
        if (error instanceof ApiError && error.problem.code === "caregiver_profile_missing") return null;
        throw error;
      }
    },
  });
  if (profile.isPending) return <Loading />;
  if (profile.error) return <ProblemAlert problem={toProblem(profile.error)} />;
  const p = profile.data;
  return (
    <Stack>
      <Title order={2}>{t("profile.title")}</Title>
      {p ? (
        <Card withBorder data-testid="licence-status">
          <Group justify="space-between">
            <Text fw={700}>{t("profile.licenceStatus")}</Text>
            <Badge color={STATUS_COLOR[p.verification_status]} variant="light">
              {t(`verification.${p.verification_status}`)}
            </Badge>
          </Group>
          {p.verified_at ? (
            <Text size="sm" mt="xs">{t("profile.verifiedAt", { date: formatDate(p.verified_at, localeOf(i18n.language)) })}</Text>
          ) : null}
        </Card>
      ) : (
        <Alert color="blue">{t("profile.missing")}</Alert>
      )}
      <Card withBorder>
        <ProfileForm key={p?.updated_at ?? "new"} profile={p} />
      </Card>
    </Stack>
  );
}
