import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// `npm run dev -w web` proxies the API to a local `npm run service`, so the page and the API share an origin as
// they do when served.
export default defineConfig({
  plugins: [preact()],
  build: {
    target: "es2022",
    // The CSP has no 'unsafe-inline': Vite must never inline the module preload polyfill or small assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { proxy: { "/api": "http://localhost:8000" } },
});
