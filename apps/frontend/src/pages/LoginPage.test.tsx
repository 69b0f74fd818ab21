import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router";
import { createApi } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { TokenStore } from "../auth/tokens";
import { initI18n } from "../i18n";
import { json, problem, startServer } from "../testing/server";
import { LoginPage } from "./LoginPage";

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});
beforeAll(() => {
  initI18n("ko");
});

function renderLogin(baseUrl: string) {
  const tokens = new TokenStore(window.localStorage);
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient()}>
        <AuthProvider api={createApi(tokens, baseUrl)} tokens={tokens}>
          <MemoryRouter initialEntries={["/login"]}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/family/recipients" element={<p>family home</p>} />
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return tokens;
}

describe("LoginPage", () => {
  it("validates before sending and shows the errors on the fields, in Korean", async () => {
    renderLogin("http://127.0.0.1:9/api");
    await userEvent.type(screen.getByLabelText(/이메일/), "not-an-email");
    await userEvent.click(screen.getByRole("button", { name: "로그인" }));
    const email = screen.getByLabelText(/이메일/);
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("이메일 주소 형식이 아닙니다")).toBeTruthy();
    expect(screen.getByText("필수 항목입니다")).toBeTruthy();
  });

  it("shows the server's invalid_credentials next to the password", async () => {
    const server = await startServer((_req, _body, res) =>
      problem(res, 401, "invalid_credentials", { detail: "Email or password is wrong" }),
    );
    close = server.close;
    renderLogin(`${server.url}/api`);
    await userEvent.type(screen.getByLabelText(/이메일/), "family1@demo.homecare.kr");
    await userEvent.type(screen.getByLabelText(/비밀번호/), "wrong-password-1");
    await userEvent.click(screen.getByRole("button", { name: "로그인" }));
    await screen.findByText("이메일 또는 비밀번호가 맞지 않습니다", {}, { timeout: 5000 });
    // Next to the field: the password input is described by the element holding the message.
    const describedBy = screen.getByLabelText(/비밀번호/).getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy)?.textContent).toBe("이메일 또는 비밀번호가 맞지 않습니다");
    expect(screen.getByText("이메일 또는 비밀번호가 맞지 않습니다")).toBeTruthy();
  });

  it("signs in, stores the tokens and goes to the role's home", async () => {
    const server = await startServer((req, _body, res) => {
      if (req.url === "/api/v1/auth/login") {
        json(res, 200, { access_token: "a", refresh_token: "r", expires_in: 900, token_type: "bearer" });
      } else {
        json(res, 200, {
          id: "u",
          email: "family1@demo.homecare.kr",
          display_name: "한가족",
          role: "family",
          agency_id: null,
          created_at: "2026-12-01T00:00:00Z",
        });
      }
    });
    close = server.close;
    const tokens = renderLogin(`${server.url}/api`);
    await userEvent.type(screen.getByLabelText(/이메일/), "family1@demo.homecare.kr");
    await userEvent.type(screen.getByLabelText(/비밀번호/), "demo-password-2026");
    await userEvent.click(screen.getByRole("button", { name: "로그인" }));
    await screen.findByText("family home", {}, { timeout: 5000 }); // loaded 2-core machine
    expect(tokens.get()).toEqual({ access_token: "a", refresh_token: "r" });
  });
});
