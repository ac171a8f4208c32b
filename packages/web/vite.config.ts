import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The web UI's build: hashed files under dist/assets (served with a year-long cache by
 * `cairn server`, api/web-ui.ts). The graph (React Flow, elkjs) and the highlighter load
 * as their own chunks, on the pages that need them, to keep the first load small.
 * `npm run dev` proxies the API to a `cairn server` on CAIRN_URL (default 127.0.0.1:8080).
 */
const api = process.env.CAIRN_URL ?? "http://127.0.0.1:8080";
const apiPaths = ["/v3", "/login", "/logout", "/register", "/openapi.json"];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No inline <script> or data: module preloads: the server's CSP allows only 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, api])) },
});
