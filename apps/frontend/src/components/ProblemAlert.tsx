import { Alert } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Problem } from "../api/problem";

/** A form-level or page-level error: translated by its stable code, else the server's words. */
export function ProblemAlert({ problem }: { problem: Problem | null }) {
  const { t } = useTranslation();
  if (!problem) return null;
  return (
    <Alert color="red" role="alert" title={t("common.error")}>
      {t(`problem.${problem.code}`, { defaultValue: problem.detail ?? problem.title })}
    </Alert>
  );
}
