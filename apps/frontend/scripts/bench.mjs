// `make bench-frontend`: Lighthouse (npm `lighthouse` driving Debian's Chromium) on the
// production build served as `make up` serves it, Chromium's own installability verdict over
// the DevTools protocol, and the gzipped size of the JavaScript the first page needs.
// Writes build/bench/frontend.json (format: docs/conventions.md) and prints MISS for a missed
// target; it exits 0 then, so `make bench` still runs the other areas' benchmarks.
// Usage: node scripts/bench.mjs OUT.json      (env HOMECARE_PYTHON: the dev venv's python)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "@playwright/test";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const CHROMIUM = "/usr/bin/chromium";
const app = new URL("..", import.meta.url).pathname;
const dist = join(app, "dist");
const out = process.argv[2];
if (!out) throw new Error("usage: node scripts/bench.mjs OUT.json");
const python = process.env.HOMECARE_PYTHON ?? join(app, "../../.venv/bin/python");

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The JS the first page loads: the entry module and its modulepreloads, gzipped. */
function mainJsGzipBytes() {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  if (files.length === 0) throw new Error("no script in dist/index.html: build first");
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file)), { level: 9 }).length, 0);
}

/**
 * Lighthouse's CPU-throttling calculator: the slowdown that makes this host behave like the
 * mobile preset's mid-tier phone, from the benchmarkIndex Lighthouse measured (>= 1300: 3x and
 * up, 800-1300: 2-3x, 150-800: 1-2x; a slower host gets 1x, i.e. no extra slowdown).
 */
function cpuMultiplier(benchmarkIndex) {
  if (benchmarkIndex >= 1300) return 3 + (benchmarkIndex - 1300) / 233;
  if (benchmarkIndex >= 800) return 2 + (benchmarkIndex - 800) / 500;
  if (benchmarkIndex >= 150) return 1 + (benchmarkIndex - 150) / 650;
  return 1;
}

/**
 * One Lighthouse run that produced a performance score, retried once when it did not. Under
 * load Lighthouse can finish without one (lhr.runtimeError, e.g. NO_FCP when the page did not
 * paint in time, or a protocol timeout) and its category scores are then null; counted as a
 * score that null becomes 0. Returns { run, attempts } with run null when both attempts failed,
 * and attempts listing every failure's code, so the report says what happened.
 */
async function lighthouseRun(label, url, flags, config) {
  const attempts = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    let run = null;
    let error = null;
    try {
      run = await lighthouse(url, flags, config);
      if (run?.lhr.runtimeError) error = `${run.lhr.runtimeError.code}: ${run.lhr.runtimeError.message}`;
      else if (typeof run?.lhr.categories.performance?.score !== "number") error = "no performance score";
    } catch (e) {
      error = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (!error) return { run, attempts };
    attempts.push({ attempt, error });
    console.log(`Lighthouse ${label}, attempt ${attempt}: no score (${error})${attempt === 1 ? "; retrying once" : ""}`);
  }
  return { run: null, attempts };
}

const metricsOf = (run) => {
  const a = (id) => Math.round(run.lhr.audits[id].numericValue);
  return { fcp_ms: a("first-contentful-paint"), lcp_ms: a("largest-contentful-paint"), tbt_ms: a("total-blocking-time"), si_ms: a("speed-index") };
};
const perf = (run) => (run ? Math.round(run.lhr.categories.performance.score * 100) : null);

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

const port = await freePort();
const server = spawn(python, ["-m", "homecare_devtools.frontend", "--dist", dist, "--port", String(port)], {
  stdio: "inherit",
});
const base = `http://127.0.0.1:${port}`;
try {
  await waitFor(`${base}/healthz`);

  // Installability as Chromium decides it (manifest, icons, service worker, HTTPS/localhost).
  // A persistent profile: Chromium never offers installation from an incognito context.
  const profile = mkdtempSync(join(tmpdir(), "homecare-bench-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage();
  await page.goto(`${base}/login`);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  const manifest = await cdp.send("Page.getAppManifest");
  await browser.close();
  rmSync(profile, { recursive: true, force: true });

  // Lighthouse with its default mobile emulation and simulated throttling.
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  });
  let scores;
  let desktopPerformance;
  let defaultMobile;
  let calibration;
  let completeRuns = 0;
  try {
    const flags = {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
    };
    const failures = [];
    const desktop = await lighthouseRun("desktop preset", `${base}/login`, flags, desktopConfig);
    failures.push(...desktop.attempts.map((a) => ({ run: "desktop preset", ...a })));
    desktopPerformance = perf(desktop.run);
    // Lighthouse's mobile preset as shipped: simulated slow 4G and a 4x CPU slowdown, which
    // assumes a fast desktop host (benchmarkIndex ~1500+). This shared 2-core VM scores far
    // lower, so the same 4x models a phone much slower than the "mid-tier mobile" the preset
    // targets; the figure is kept as measured, next to the calibrated one.
    const firstRun = await lighthouseRun("mobile preset", `${base}/login`, flags);
    failures.push(...firstRun.attempts.map((a) => ({ run: "mobile preset", ...a })));
    const first = firstRun.run;
    if (!first) throw new Error("the mobile preset run failed twice: no benchmarkIndex to calibrate from");
    defaultMobile = perf(first);
    const benchmarkIndex = first.lhr.environment.benchmarkIndex;
    // Lighthouse's documented calibration (docs/throttling.md, "calibrating multipliers"):
    // choose the multiplier from the host's benchmarkIndex so the run models the preset's
    // mid-tier phone; never below 1x. Median of three runs: scores vary run to run. A run
    // without a score is retried once; one that fails twice is left out of the median and
    // reported (lighthouse_calibration.failed_attempts), and the target row then counts as missed.
    const multiplier = cpuMultiplier(benchmarkIndex);
    const runs = [];
    const order = [];
    const details = [];
    for (let i = 0; i < 3; i++) {
      const { run, attempts } = await lighthouseRun(`calibrated run ${i + 1}`, `${base}/login`, flags, {
        extends: "lighthouse:default",
        settings: { throttling: { ...first.lhr.configSettings.throttling, cpuSlowdownMultiplier: multiplier } },
      });
      failures.push(...attempts.map((a) => ({ run: `calibrated run ${i + 1}`, ...a })));
      order.push(perf(run));
      details.push(run ? metricsOf(run) : null);
      if (run) runs.push(run);
    }
    if (runs.length === 0) throw new Error("every calibrated Lighthouse run failed twice (see above)");
    runs.sort((a, b) => a.lhr.categories.performance.score - b.lhr.categories.performance.score);
    const result = runs[Math.floor((runs.length - 1) / 2)];
    const c = result.lhr.categories;
    scores = {
      performance: Math.round(c.performance.score * 100),
      accessibility: Math.round(c.accessibility.score * 100),
      "best-practices": Math.round(c["best-practices"].score * 100),
    };
    completeRuns = runs.length;
    const audit = (id) => result.lhr.audits[id].numericValue;
    calibration = {
      benchmark_index: benchmarkIndex,
      cpu_slowdown_multiplier: Number(multiplier.toFixed(2)),
      // In the order they ran; null: no score after the retry.
      runs: order,
      run_metrics: details,
      failed_attempts: failures,
      median_run: { ...metricsOf(result), cls: audit("cumulative-layout-shift") },
      default_preset_run: {
        fcp_ms: Math.round(first.lhr.audits["first-contentful-paint"].numericValue),
        lcp_ms: Math.round(first.lhr.audits["largest-contentful-paint"].numericValue),
        tbt_ms: Math.round(first.lhr.audits["total-blocking-time"].numericValue),
      },
    };
    // The full reports, for finding what holds the score down (LCP, TBT, blocking work).
    mkdirSync(join(app, "../../build/frontend"), { recursive: true });
    writeFileSync(join(app, "../../build/frontend/lighthouse.json"), JSON.stringify(result.lhr, null, 1));
    writeFileSync(join(app, "../../build/frontend/lighthouse-default-preset.json"), JSON.stringify(first.lhr, null, 1));
  } finally {
    chrome.kill();
  }

  const js = mainJsGzipBytes();
  const rows = [
    { metric: "Lighthouse performance (mobile, CPU calibrated to this host, median of 3, /login)", value: scores.performance, unit: "score", target: ">= 90", ok: scores.performance >= 90 && completeRuns === 3 },
    { metric: "Lighthouse performance (mobile preset as shipped, 4x CPU on this host, /login)", value: defaultMobile, unit: "score", target: null, ok: true },
    { metric: "Lighthouse performance (desktop preset, /login)", value: desktopPerformance, unit: "score", target: null, ok: true },
    { metric: "Lighthouse accessibility", value: scores.accessibility, unit: "score", target: ">= 95", ok: scores.accessibility >= 95 },
    { metric: "Lighthouse best practices", value: scores["best-practices"], unit: "score", target: ">= 95", ok: scores["best-practices"] >= 95 },
    { metric: "installability errors (Page.getInstallabilityErrors)", value: installabilityErrors.length, unit: "errors", target: "0", ok: installabilityErrors.length === 0 },
    { metric: "main JS gzipped (entry + modulepreload)", value: Math.round(js / 1024), unit: "KiB", target: "<= 250", ok: js <= 250 * 1024 },
  ];
  const result = {
    name: "frontend",
    rows: rows.map((r) => ({
      metric: r.metric,
      value: r.value,
      unit: r.unit,
      baseline: null,
      baseline_value: null,
      target: r.target,
    })),
    lighthouse_calibration: calibration,
    installability_errors: installabilityErrors,
    manifest_errors: manifest.errors,
  };
  writeFileSync(out, JSON.stringify(result, null, 2));
  for (const row of rows) console.log(`${row.ok ? "ok  " : "MISS"} ${row.metric}: ${row.value} ${row.unit} (target ${row.target ?? "none"})`);
  if (completeRuns < 3) console.log(`MISS: only ${completeRuns} of 3 calibrated runs produced a score; the median is of those`);
  if (installabilityErrors.length) console.log(JSON.stringify(installabilityErrors));
  if (!rows.every((r) => r.ok)) console.log("MISS: some frontend targets are not met (see above)");
} finally {
  server.kill("SIGTERM");
}
