import createClient, { type Middleware } from "openapi-fetch";
import type { Tokens, TokenStore } from "../auth/tokens";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Api = ReturnType<typeof createApi>;

/** One origin: every call goes to `/api/...` on the app's own host (no CORS, no API URL config). */
export const API_BASE = "/api";

const NO_REFRESH = ["/v1/auth/login", "/v1/auth/refresh", "/v1/auth/signup", "/v1/auth/logout"];

/**
 * The typed client. Sends the access token; on a 401 it refreshes once (one refresh in flight
 * for all callers, as the backend rotates refresh tokens and refuses a reused one) and retries
 * the request; when the refresh is refused, the tokens are cleared, which signs the app out.
 */
export function createApi(tokens: TokenStore, baseUrl: string = API_BASE) {
  const fetcher: typeof fetch = (input, init) => globalThis.fetch(input, init);
  const raw = createClient<paths>({ baseUrl, fetch: fetcher });
  const pristine = new WeakMap<Request, Request>();
  let refreshing: Promise<Tokens | null> | null = null;

  async function refresh(current: Tokens): Promise<Tokens | null> {
    const { data } = await raw.POST("/v1/auth/refresh", {
      body: { refresh_token: current.refresh_token },
    });
    if (!data) {
      tokens.clear();
      return null;
    }
    const next = { access_token: data.access_token, refresh_token: data.refresh_token };
    tokens.set(next);
    return next;
  }

  /** A refresh shared by every request that got a 401 at the same time. */
  function refreshOnce(current: Tokens): Promise<Tokens | null> {
    refreshing ??= refresh(current).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  const auth: Middleware = {
    onRequest({ request, schemaPath }) {
      const current = tokens.get();
      if (current && !NO_REFRESH.includes(schemaPath)) {
        request.headers.set("Authorization", `Bearer ${current.access_token}`);
      }
      pristine.set(request, request.clone());
      return request;
    },
    async onResponse({ request, response, schemaPath }) {
      if (response.status !== 401 || NO_REFRESH.includes(schemaPath)) return response;
      const sent = request.headers.get("Authorization");
      const current = tokens.get();
      if (!current) return response;
      // Another request may have refreshed already: retry with the newer token without a refresh.
      const next =
        sent === `Bearer ${current.access_token}` ? await refreshOnce(current) : current;
      const original = pristine.get(request);
      if (!next || !original) return response;
      const retry = new Request(original);
      retry.headers.set("Authorization", `Bearer ${next.access_token}`);
      return fetcher(retry);
    },
  };
  raw.use(auth);
  return raw;
}
