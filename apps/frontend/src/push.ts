import type { Api } from "./api/client";
import { unwrap } from "./api/problem";

/** Where this browser remembers the device id the backend gave its Web Push subscription. */
const DEVICE_KEY = "homecare.push-device";

export type PushState = "unsupported" | "disabled" | "denied" | "off" | "on";

/** The VAPID key (base64url, no padding) as the bytes `applicationServerKey` takes. */
export function applicationServerKey(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function base64url(buffer: ArrayBuffer | null): string | null {
  if (!buffer) return null;
  let raw = "";
  for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/**
 * Subscribes this browser to Web Push with the backend's VAPID key and registers the
 * subscription as one of the user's devices (`POST /v1/devices`); the push messages are shown
 * by the service worker (public/push-sw.js). Returns "disabled" when the server has no key.
 */
export async function subscribeToPush(api: Api, registration: ServiceWorkerRegistration): Promise<PushState> {
  const key = await unwrap(api.GET("/v1/push/vapid-public-key"));
  if (!key.enabled || !key.public_key) return "disabled";
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: applicationServerKey(key.public_key),
  });
  const device = await unwrap(
    api.POST("/v1/devices", {
      body: {
        platform: "webpush",
        token: subscription.endpoint,
        p256dh: base64url(subscription.getKey("p256dh")),
        auth: base64url(subscription.getKey("auth")),
      },
    }),
  );
  window.localStorage.setItem(DEVICE_KEY, device.id);
  return "on";
}

/** Stops pushes to this browser: the backend forgets the device, the browser the subscription. */
export async function unsubscribeFromPush(api: Api, registration: ServiceWorkerRegistration): Promise<PushState> {
  const device = window.localStorage.getItem(DEVICE_KEY);
  if (device) {
    await unwrap(api.DELETE("/v1/devices/{device_id}", { params: { path: { device_id: device } } }));
    window.localStorage.removeItem(DEVICE_KEY);
  }
  await (await registration.pushManager.getSubscription())?.unsubscribe();
  return "off";
}

/** What the toggle shows before the user touches it. */
export async function currentPushState(registration: ServiceWorkerRegistration | null): Promise<PushState> {
  if (!pushSupported() || !registration) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const subscription = await registration.pushManager.getSubscription();
  return subscription && window.localStorage.getItem(DEVICE_KEY) ? "on" : "off";
}
