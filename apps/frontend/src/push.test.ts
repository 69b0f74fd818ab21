import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenStore } from "./auth/tokens";
import { createApi } from "./api/client";
import { json, startServer } from "./testing/server";
import { applicationServerKey, subscribeToPush, unsubscribeFromPush } from "./push";

// An uncompressed P-256 point (65 bytes), base64url without padding, as the backend sends it.
const PUBLIC_KEY = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
const DEVICE = "00000000-0000-0000-0000-0000000000d1";

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

async function backend(enabled: boolean) {
  const server = await startServer((req, _body, res) => {
    if (req.url === "/api/v1/push/vapid-public-key") json(res, 200, { enabled, public_key: enabled ? PUBLIC_KEY : null });
    else if (req.url === "/api/v1/devices" && req.method === "POST")
      json(res, 201, { id: DEVICE, platform: "webpush", created_at: "2026-12-01T00:00:00Z" });
    else if (req.url === `/api/v1/devices/${DEVICE}` && req.method === "DELETE") {
      res.writeHead(204);
      res.end();
    } else json(res, 404, { code: "not_found" });
  });
  close = server.close;
  const tokens = new TokenStore();
  tokens.set({ access_token: "a", refresh_token: "r" });
  return { server, api: createApi(tokens, `${server.url}/api`) };
}

/** A registration whose push manager records what it was asked for. */
function registration() {
  const subscribed: PushSubscriptionOptionsInit[] = [];
  const unsubscribe = vi.fn(() => Promise.resolve(true));
  const subscription = {
    endpoint: "https://push.example.net/send/abc123",
    getKey: (name: string) => new Uint8Array(name === "auth" ? 16 : 65).fill(7).buffer,
    unsubscribe,
  };
  const pushManager = {
    subscribe: (options: PushSubscriptionOptionsInit) => {
      subscribed.push(options);
      return Promise.resolve(subscription);
    },
    getSubscription: () => Promise.resolve(subscription),
  };
  return { reg: { pushManager } as unknown as ServiceWorkerRegistration, subscribed, unsubscribe };
}

describe("Web Push", () => {
  it("decodes the VAPID key to the 65-byte point", () => {
    const bytes = applicationServerKey(PUBLIC_KEY);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4);
  });

  it("subscribes with the server's key and registers the subscription as a device", async () => {
    const { server, api } = await backend(true);
    vi.stubGlobal("Notification", { requestPermission: () => Promise.resolve("granted") });
    const { reg, subscribed, unsubscribe } = registration();

    expect(await subscribeToPush(api, reg)).toBe("on");
    expect(subscribed).toHaveLength(1);
    expect(subscribed[0]?.userVisibleOnly).toBe(true);
    expect(subscribed[0]?.applicationServerKey).toEqual(applicationServerKey(PUBLIC_KEY));
    const sent = server.requests.find((r) => r.url === "/api/v1/devices");
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      platform: "webpush",
      token: "https://push.example.net/send/abc123",
      p256dh: "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
      auth: "BwcHBwcHBwcHBwcHBwcHBw",
    });

    expect(await unsubscribeFromPush(api, reg)).toBe("off");
    expect(server.requests.some((r) => r.method === "DELETE" && r.url === `/api/v1/devices/${DEVICE}`)).toBe(true);
    expect(unsubscribe).toHaveBeenCalledOnce();
  });

  it("does not ask for permission when the server has no VAPID key, and reports a refusal", async () => {
    const { api } = await backend(false);
    const requestPermission = vi.fn(() => Promise.resolve("denied"));
    vi.stubGlobal("Notification", { requestPermission });
    const { reg, subscribed } = registration();
    expect(await subscribeToPush(api, reg)).toBe("disabled");
    expect(requestPermission).not.toHaveBeenCalled();

    await close?.();
    const second = await backend(true);
    expect(await subscribeToPush(second.api, reg)).toBe("denied");
    expect(subscribed).toHaveLength(0);
  });
});
