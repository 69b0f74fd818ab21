import { Container, Group, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { LanguageSwitch } from "./LanguageSwitch";

/** The frame of the sign-in and sign-up screens (no navigation: nobody is signed in yet). */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Container size={420} py="xl" component="main">
      <Stack gap="xs" mb="md">
        <Group justify="space-between">
          <Text fw={700} c="teal.9">
            {t("app.name")}
          </Text>
          <LanguageSwitch />
        </Group>
        <Title order={1} size="h2">
          {title}
        </Title>
        <Text c="dimmed">{t("app.tagline")}</Text>
      </Stack>
      <Paper withBorder p="lg" radius="md">
        {children}
      </Paper>
    </Container>
  );
}
