import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig, devices } from "@playwright/test";

// The real stack, as `make up` runs it (backend + matching + embedded PostgreSQL + this SPA's
// production build behind the same-origin proxy), on free ports and a fresh data directory.
// The config is evaluated again in each worker: the first evaluation fixes the ports in the
// environment that the workers inherit.
const repo = resolve(import.meta.dirname, "../..");
const python = process.env.HOMECARE_PYTHON ?? join(repo, ".venv/bin/python");
if (!process.env.HOMECARE_E2E_PORTS) {
  const free = execFileSync(python, [
    "-c",
    "import socket\nsocks=[socket.socket() for _ in range(7)]\n"
    + "[s.bind(('127.0.0.1',0)) for s in socks]\n"
    + "print(','.join(str(s.getsockname()[1]) for s in socks))",
  ]);
  process.env.HOMECARE_E2E_PORTS = free.toString().trim();
  // Fresh data each run (the embedded PostgreSQL is initialised and seeded by `make up`).
  process.env.HOMECARE_E2E_DATA = join(repo, "build/frontend/e2e-data");
  rmSync(process.env.HOMECARE_E2E_DATA, { recursive: true, force: true });
}
// The last three: the Toss path of `make up` (HOMECARE_TOSS_STACK=1; e2e/toss-pay.spec.ts).
const [pg, backend, matching, frontend, tossContract, tossBackend, tossFrontend] =
  process.env.HOMECARE_E2E_PORTS.split(",");
const baseURL = `http://127.0.0.1:${frontend ?? ""}`;
const ARTIFACTS = join(repo, "build/frontend");

export default defineConfig({
  testDir: "e2e",
  outputDir: join(ARTIFACTS, "playwright"),
  fullyParallel: false,
  workers: 1, // two shared cores: one browser at a time
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["html", { outputFolder: join(ARTIFACTS, "playwright-report"), open: "never" }]],
  use: {
    baseURL,
    locale: "ko-KR",
    timezoneId: "Asia/Seoul",
    trace: "retain-on-failure",
    launchOptions: { executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] },
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 }, channel: undefined } },
    {
      name: "phone",
      use: { ...devices["Pixel 5"], viewport: { width: 360, height: 800 }, channel: undefined },
    },
  ],
  webServer: {
    command: `${python} -m homecare_devtools.up`,
    url: `${baseURL}/healthz`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    env: {
      HOMECARE_DATA_DIR: process.env.HOMECARE_E2E_DATA ?? "",
      HOMECARE_PG_PORT: pg ?? "",
      HOMECARE_BACKEND_PORT: backend ?? "",
      HOMECARE_MATCHING_PORT: matching ?? "",
      HOMECARE_FRONTEND_PORT: frontend ?? "",
      // Also the Toss path: contract server, a backend on provider toss, a frontend with the Toss CSP.
      HOMECARE_TOSS_STACK: "1",
      HOMECARE_TOSS_CONTRACT_PORT: tossContract ?? "",
      HOMECARE_TOSS_BACKEND_PORT: tossBackend ?? "",
      HOMECARE_TOSS_FRONTEND_PORT: tossFrontend ?? "",
      // Every test signs in several accounts from 127.0.0.1: lift the per-IP login limit (dev stack only).
      HOMECARE_LOGIN_MAX_ATTEMPTS_PER_IP: "10000",
      HOMECARE_LOG_JSON: "false",
    },
  },
});
