import { defineConfig } from "vite";

// React's JSX runtime via esbuild; no plugin needed for a production build.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", sourcemap: true },
});
