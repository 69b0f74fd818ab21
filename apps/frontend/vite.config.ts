/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// One origin: the SPA calls `/api/...` on its own host; `make up` (homecare_devtools.frontend)
// and the cluster's Gateway route `/api` to the backend, so the browser never needs CORS.
export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script", // an external registerSW.js: no inline script under the CSP
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
      },
    }),
  ],
  build: { outDir: "dist", sourcemap: true, target: "es2022" },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    testTimeout: 30_000, // userEvent typing is slow on a loaded 2-core machine
  },
});
