import { Progress, Table } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";
import { orderedComponents } from "../schedule";

type Component = Schemas["ComponentOut"];

/** "Why this caregiver": each score component's value (0..1), weight and share of the score. */
export function ScoreBreakdown({ breakdown, label }: { breakdown: Record<string, Component>; label: string }) {
  const { t } = useTranslation();
  const rows = orderedComponents(breakdown);
  return (
    <Table aria-label={label} data-testid="breakdown" withRowBorders={false} verticalSpacing={4}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">{t("why.component")}</Table.Th>
          <Table.Th scope="col">{t("why.value")}</Table.Th>
          <Table.Th scope="col" ta="right">
            {t("why.points")}
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map(([key, c]) => {
          const percent = Math.round(Math.max(0, Math.min(1, c.value)) * 100);
          return (
            <Table.Tr key={key} data-component={key}>
              <Table.Th scope="row" fw={500}>
                {t(`why.${key}`, { defaultValue: key })}
              </Table.Th>
              <Table.Td miw={90}>
                <Progress
                  value={percent}
                  size="sm"
                  aria-label={t("why.valueOf", { name: t(`why.${key}`, { defaultValue: key }), percent })}
                />
              </Table.Td>
              <Table.Td ta="right">
                {t("why.contribution", {
                  points: (c.contribution * 100).toFixed(1),
                  weight: Math.round(c.weight * 100),
                })}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
