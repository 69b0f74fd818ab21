import { afterEach, describe, expect, it } from "vitest";
import { TokenStore } from "../auth/tokens";
import { json, problem, startServer } from "../testing/server";
import { createApi } from "./client";

const USER = {
  id: "00000000-0000-0000-0000-000000000001",
  email: "family1@demo.homecare.kr",
  display_name: "한가족",
  role: "family",
  agency_id: null,
  created_at: "2026-12-01T00:00:00Z",
};

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

/** A backend whose access tokens are "access-N"; only the newest one is accepted. */
async function backend(options: { refuseRefresh?: boolean } = {}) {
  let generation = 1;
  let refreshes = 0;
  const server = await startServer((req, body, res) => {
    if (req.url === "/api/v1/auth/refresh") {
      refreshes += 1;
      const sent = (JSON.parse(body) as { refresh_token: string }).refresh_token;
      if (options.refuseRefresh || sent !== `refresh-${generation}`) {
        problem(res, 401, "invalid_refresh_token");
        return;
      }
      generation += 1;
      json(res, 200, {
        access_token: `access-${generation}`,
        refresh_token: `refresh-${generation}`,
        expires_in: 900,
        token_type: "bearer",
      });
      return;
    }
    if (req.headers.authorization !== `Bearer access-${generation}`) {
      problem(res, 401, "invalid_token");
      return;
    }
    if (req.url === "/api/v1/me") json(res, 200, USER);
    else if (req.url === "/api/v1/recipients" && req.method === "POST") json(res, 201, JSON.parse(body));
    else problem(res, 404, "not_found");
  });
  close = server.close;
  return {
    server,
    refreshes: () => refreshes,
  };
}

describe("API client", () => {
  it("sends the access token and calls /api on the base URL", async () => {
    const { server } = await backend();
    const tokens = new TokenStore(window.localStorage);
    tokens.set({ access_token: "access-1", refresh_token: "refresh-1" });
    const api = createApi(tokens, `${server.url}/api`);
    const { data } = await api.GET("/v1/me");
    expect(data?.email).toBe(USER.email);
    expect(server.requests[0]?.url).toBe("/api/v1/me");
    expect(server.requests[0]?.headers.authorization).toBe("Bearer access-1");
  });

  it("refreshes once on 401 and retries, body included, for concurrent requests", async () => {
    const { server, refreshes } = await backend();
    const tokens = new TokenStore(window.localStorage);
    // The client holds an access token the server no longer accepts, and the right refresh token.
    tokens.set({ access_token: "access-0", refresh_token: "refresh-1" });
    const api = createApi(tokens, `${server.url}/api`);
    const body = {
      name: "한말순",
      birth_year: 1938,
      address: "서울 강남구 테헤란로 1",
      latitude: 37.5,
      longitude: 127.03,
    };
    const [me, created] = await Promise.all([
      api.GET("/v1/me"),
      api.POST("/v1/recipients", { body }),
    ]);
    expect(me.response.status).toBe(200);
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe("한말순");
    expect(refreshes()).toBe(1);
    expect(tokens.get()).toEqual({ access_token: "access-2", refresh_token: "refresh-2" });
  });

  it("signs out when the refresh token is refused", async () => {
    const { server } = await backend({ refuseRefresh: true });
    const tokens = new TokenStore(window.localStorage);
    tokens.set({ access_token: "stale", refresh_token: "revoked" });
    let signedOut = false;
    tokens.subscribe((t) => (signedOut = t === null));
    const api = createApi(tokens, `${server.url}/api`);
    const { response, error } = await api.GET("/v1/me");
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: "invalid_token" });
    expect(tokens.get()).toBeNull();
    expect(signedOut).toBe(true);
  });

  it("does not try to refresh a failed login", async () => {
    const server = await startServer((_req, _body, res) => problem(res, 401, "invalid_credentials"));
    close = server.close;
    const tokens = new TokenStore(window.localStorage);
    const api = createApi(tokens, `${server.url}/api`);
    const { error } = await api.POST("/v1/auth/login", {
      body: { email: "a@b.kr", password: "wrong-password" },
    });
    expect(error).toMatchObject({ code: "invalid_credentials" });
    expect(server.requests.map((r) => r.url)).toEqual(["/api/v1/auth/login"]);
  });
});
