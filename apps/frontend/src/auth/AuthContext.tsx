import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import type { Api, Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import type { TokenStore } from "./tokens";

export type User = Schemas["UserOut"];
export type Role = User["role"];

interface AuthValue {
  api: Api;
  tokens: TokenStore;
  user: User | null;
  status: "loading" | "anonymous" | "signed-in";
  login: (email: string, password: string) => Promise<User>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider(props: { api: Api; tokens: TokenStore; children: ReactNode }) {
  const { api, tokens } = props;
  const queryClient = useQueryClient();
  const [hasTokens, setHasTokens] = useState(() => tokens.get() !== null);

  useEffect(
    () =>
      tokens.subscribe((next) => {
        setHasTokens(next !== null);
        if (next === null) queryClient.clear(); // signed out here or in another tab
      }),
    [tokens, queryClient],
  );

  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => unwrap(api.GET("/v1/me")),
    enabled: hasTokens,
    staleTime: 5 * 60_000,
    retry: false,
  });

  const login = useCallback(
    async (email: string, password: string) => {
      const pair = await unwrap(api.POST("/v1/auth/login", { body: { email, password } }));
      tokens.set(pair);
      const me = await unwrap(api.GET("/v1/me"));
      queryClient.setQueryData(["me"], me);
      return me;
    },
    [api, tokens, queryClient],
  );

  const logout = useCallback(async () => {
    const current = tokens.get();
    tokens.clear();
    if (current) {
      // Revoke the refresh token; signing out locally does not wait for (or need) the server.
      await api
        .POST("/v1/auth/logout", { body: { refresh_token: current.refresh_token } })
        .catch(() => undefined);
    }
  }, [api, tokens]);

  const value = useMemo<AuthValue>(() => {
    let status: AuthValue["status"] = "anonymous";
    if (hasTokens) status = me.data ? "signed-in" : me.isError ? "anonymous" : "loading";
    return { api, tokens, user: hasTokens ? (me.data ?? null) : null, status, login, logout };
  }, [api, tokens, hasTokens, me.data, me.isError, login, logout]);

  return <AuthContext.Provider value={value}>{props.children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside <AuthProvider>");
  return value;
}

export function useApi(): Api {
  return useAuth().api;
}

/** The landing page of each role. */
export function homeOf(role: Role): string {
  switch (role) {
    case "family":
      return "/family/recipients";
    case "caregiver":
      return "/caregiver/offers";
    default:
      return "/admin/caregivers";
  }
}
