import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// `vite dev` proxies the API so the cookie and the WebSocket stay same-origin, as in production.
const api = process.env.API_URL ?? "http://localhost:4000";

export default defineConfig({
  plugins: [sveltekit()],
  server: { proxy: { "/graphql": { target: api, ws: true } } },
});
