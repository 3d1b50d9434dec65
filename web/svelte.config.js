import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A pure SPA: the API server serves build/ and falls back to index.html for client-side routes.
    adapter: adapter({ pages: "build", assets: "build", fallback: "index.html" }),
  },
};
