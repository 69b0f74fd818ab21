/// <reference types="vitest/config" />
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// index.html is left out: the server writes a fresh CSP nonce into it on every response.
const COMPRESSIBLE = /\.(?:js|css|svg|json|webmanifest|txt)$/;
// The placeholder Vite puts in index.html's nonce attributes and <meta property="csp-nonce">;
// nginx's sub_filter (and `make up`'s server) replace it with the response's nonce.
const CSP_NONCE_PLACEHOLDER = "HOMECARE_CSP_NONCE";

/**
 * Precompressed copies (`file.gz`, gzip -9) of every text asset in dist/, written once at build
 * time: the image's nginx serves them with `gzip_static` and `make up`'s server does the same,
 * so no request pays for compression and both serve identical bytes. Source maps are left
 * uncompressed (only developers fetch them).
 */
function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "homecare-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    // After vite-plugin-pwa has written sw.js and the manifest.
    closeBundle: {
      order: "post",
      sequential: true,
      handler() {
        const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
        for (const file of walk(outDir).filter((f) => COMPRESSIBLE.test(f))) {
          writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
        }
      },
    },
  };
}

// One origin: the SPA calls `/api/...` on its own host; `make up` (homecare_devtools.frontend)
// and the cluster's Gateway route `/api` to the backend, so the browser never needs CORS.
export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer", // an external, deferred registerSW.js: no inline script under the CSP, no render blocking
      includeAssets: ["icons/apple-touch-icon-180.png"],
      manifest: {
        name: "홈케어 방문요양",
        short_name: "홈케어",
        description: "방문요양 예약과 요양보호사 업무를 한곳에서",
        lang: "ko",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#0f766e",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          {
            src: "/icons/icon-maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
      },
      workbox: {
        // Offline shell: every navigation falls back to the cached index.html; the API is
        // never cached (stale personal data is worse than a clear "offline" message).
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//, /^\/matching\//, /^\/healthz$/],
        globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"],
        // Web Push: the push and notificationclick handlers (public/push-sw.js).
        importScripts: ["/push-sw.js"],
      },
    }),
    precompress(),
  ],
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  build: { outDir: "dist", sourcemap: true, target: "es2022" },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    testTimeout: 30_000, // userEvent typing is slow on a loaded 2-core machine
  },
});
