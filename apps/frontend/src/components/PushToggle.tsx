import { Alert, Button, Card, Group, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { toProblem, type Problem } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { currentPushState, subscribeToPush, unsubscribeFromPush, type PushState } from "../push";
import { ProblemAlert } from "./ProblemAlert";

async function registration(): Promise<ServiceWorkerRegistration | null> {
  if (!("serviceWorker" in navigator)) return null;
  return (await navigator.serviceWorker.getRegistration()) ?? null;
}

/** Push notifications on this device (Web Push with the backend's VAPID key). */
export function PushToggle() {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    void registration()
      .then(currentPushState)
      .then((s) => {
        if (live) setState(s);
      });
    return () => {
      live = false;
    };
  }, []);

  async function toggle() {
    const reg = await registration();
    if (!reg || state === null) return;
    setBusy(true);
    setProblem(null);
    try {
      setState(state === "on" ? await unsubscribeFromPush(api, reg) : await subscribeToPush(api, reg));
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  if (state === null) return null;
  return (
    <Card withBorder padding="sm" data-testid="push" data-state={state}>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Text fw={700}>{t("push.title")}</Text>
          <Text size="sm">{t(`push.${state}`)}</Text>
        </div>
        {state === "on" || state === "off" ? (
          // No explicit "filled": Mantine's default variant takes theme.css's AA-contrast primary.
          <Button {...(state === "on" ? { variant: "default" } : {})} loading={busy} onClick={() => void toggle()}>
            {t(state === "on" ? "push.turnOff" : "push.turnOn")}
          </Button>
        ) : null}
      </Group>
      {state === "denied" ? (
        <Alert color="yellow" mt="sm">
          {t("push.deniedHelp")}
        </Alert>
      ) : null}
      <ProblemAlert problem={problem} />
    </Card>
  );
}
