// The dashboard's build and dev server. `/api` is proxied to the analytics API
// (STACKS_API_URL, default http://127.0.0.1:8000) in `vite` (dev, hot reload)
// and `vite preview`, so the browser only ever talks to one origin.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const api = process.env.STACKS_API_URL ?? "http://127.0.0.1:8000";
const proxy = { "/api": { target: api, changeOrigin: false } };

export default defineConfig({
  plugins: [react()],
  // Nothing from the environment is inlined into the bundle: no prefix any real variable has.
  envPrefix: "SHOP_DASHBOARD_PUBLIC_",
  server: { host: process.env.STACKS_WEB_HOST ?? "127.0.0.1", port: 5173, strictPort: true, proxy },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true, proxy },
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: false,
    // Deterministic names: the same sources build the same files.
    rollupOptions: { output: { manualChunks: undefined } },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
