import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { createApi } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { TokenStore } from "../auth/tokens";

/** A screen signed in against `baseUrl` (a real local server), at `path` matching `route`. */
export function renderSignedIn(baseUrl: string, route: string, path: string, page: ReactNode, others: Record<string, ReactNode> = {}) {
  const tokens = new TokenStore(window.localStorage);
  tokens.set({ access_token: "a", refresh_token: "r" });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider>
      <QueryClientProvider client={client}>
        <AuthProvider api={createApi(tokens, baseUrl)} tokens={tokens}>
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={route} element={page} />
              {Object.entries(others).map(([p, element]) => (
                <Route key={p} path={p} element={element} />
              ))}
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

export const FAMILY_ME = {
  id: "u-family",
  email: "family1@demo.homecare.kr",
  display_name: "한가족",
  role: "family",
  agency_id: null,
  created_at: "2026-12-01T00:00:00Z",
};
