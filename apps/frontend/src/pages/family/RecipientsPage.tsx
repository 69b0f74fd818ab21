import { Badge, Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { unwrap } from "../../api/problem";
import { useApi } from "../../auth/AuthContext";
import { Loading } from "../../components/Loading";
import { ProblemAlert } from "../../components/ProblemAlert";
import { toProblem } from "../../api/problem";
import { useSchemaForm } from "../../forms";
import { MyInvitations, SharePanel } from "../../components/SharePanel";

export const GRADES = ["1", "2", "3", "4", "5", "cognitive"] as const;

export const recipientSchema = z.object({
  name: z.string().trim().min(1, "v.required").max(100, "v.tooLong"),
  birth_year: z.number({ error: "v.required" }).int().min(1900, "v.range").max(2030, "v.range"),
  address: z.string().trim().min(1, "v.required").max(300, "v.tooLong"),
  latitude: z.number({ error: "v.required" }).min(-90, "v.range").max(90, "v.range"),
  longitude: z.number({ error: "v.required" }).min(-180, "v.range").max(180, "v.range"),
  care_grade: z.enum(GRADES).nullable(),
  preferred_gender: z.enum(["female", "male"]).nullable(),
});

function RecipientForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  // Seoul City Hall until the family types the address's coordinates.
  const form = useSchemaForm(recipientSchema, {
    name: "",
    birth_year: 1940,
    address: "",
    latitude: 37.5665,
    longitude: 126.978,
    care_grade: null,
    preferred_gender: null,
  });
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);
  const num = (value: string | number) => (typeof value === "number" ? value : Number.NaN);

  return (
    <Card withBorder component="section" aria-labelledby="new-recipient">
      <Title order={2} size="h4" id="new-recipient" mb="sm">
        {t("recipients.new")}
      </Title>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void form
            .submit(async (data) => {
              await unwrap(api.POST("/v1/recipients", { body: data }));
              await queryClient.invalidateQueries({ queryKey: ["recipients"] });
            })
            .then((ok) => ok && onDone());
        }}
      >
        <Stack>
          <ProblemAlert problem={form.problem} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label={t("recipients.name")} required value={form.values.name}
              onChange={(e) => form.set("name", e.currentTarget.value)} error={err("name")} />
            <NumberInput label={t("recipients.birthYear")} required value={form.values.birth_year}
              onChange={(v) => form.set("birth_year", num(v))} error={err("birth_year")} />
            <Select label={t("recipients.grade")} value={form.values.care_grade}
              onChange={(v) => form.set("care_grade", v)}
              data={GRADES.map((g) => ({ value: g, label: t(`grade.${g}`) }))}
              clearable error={err("care_grade")} />
            <Select label={t("recipients.preferredGender")} value={form.values.preferred_gender}
              onChange={(v) => form.set("preferred_gender", v)}
              data={[{ value: "female", label: t("gender.female") }, { value: "male", label: t("gender.male") }]}
              clearable />
          </SimpleGrid>
          <TextInput label={t("recipients.address")} required value={form.values.address}
            onChange={(e) => form.set("address", e.currentTarget.value)} error={err("address")} />
          <SimpleGrid cols={2}>
            <NumberInput label={t("recipients.latitude")} decimalScale={5} value={form.values.latitude}
              onChange={(v) => form.set("latitude", num(v))} error={err("latitude")} />
            <NumberInput label={t("recipients.longitude")} decimalScale={5} value={form.values.longitude}
              onChange={(v) => form.set("longitude", num(v))} error={err("longitude")} />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button variant="default" onClick={onDone}>{t("common.cancel")}</Button>
            <Button type="submit" loading={form.submitting}>{t("common.save")}</Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

export default function RecipientsPage() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [sharing, setSharing] = useState<string | null>(null);
  const recipients = useQuery({
    queryKey: ["recipients"],
    queryFn: () => unwrap(api.GET("/v1/recipients", { params: { query: { limit: 100 } } })),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/v1/recipients/{recipient_id}", { params: { path: { recipient_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["recipients"] }),
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("recipients.title")}</Title>
        {!adding ? <Button onClick={() => setAdding(true)}>{t("recipients.add")}</Button> : null}
      </Group>
      <MyInvitations />
      {adding ? <RecipientForm onDone={() => setAdding(false)} /> : null}
      <ProblemAlert problem={remove.error ? toProblem(remove.error) : null} />
      {recipients.isPending ? <Loading /> : null}
      <ProblemAlert problem={recipients.error ? toProblem(recipients.error) : null} />
      {recipients.data && recipients.data.items.length === 0 ? <Text>{t("recipients.empty")}</Text> : null}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {recipients.data?.items.map((r) => (
          <Card key={r.id} withBorder data-testid="recipient">
            <Group justify="space-between" mb="xs">
              <Text fw={700}>{r.name}</Text>
              <Badge variant="light">
                {r.care_grade ? t(`grade.${r.care_grade}`) : t("grade.none")}
              </Badge>
            </Group>
            <Text size="sm">{t("recipients.born", { year: r.birth_year })}</Text>
            <Text size="sm">{r.address}</Text>
            <Group justify="flex-end" mt="sm">
              <Button size="xs" variant="default" aria-expanded={sharing === r.id}
                onClick={() => setSharing(sharing === r.id ? null : r.id)}
                aria-label={t("share.openNamed", { name: r.name })}>
                {t("share.open")}
              </Button>
              <Button size="xs" variant="subtle" color="red" loading={remove.isPending && remove.variables === r.id}
                onClick={() => remove.mutate(r.id)} aria-label={t("recipients.removeNamed", { name: r.name })}>
                {t("common.remove")}
              </Button>
            </Group>
            {sharing === r.id ? <SharePanel recipientId={r.id} name={r.name} /> : null}
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
