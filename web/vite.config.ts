// Builds the dashboard into web/dist (index.html + hashed assets) for @fastify/static to serve.
// No inline scripts or styles end up in the output, so the server's CSP can stay `default-src 'self'`.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  // The compiler options live here (the defaults): no svelte.config.js to look for, and no notice about it.
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inlining small assets as data: URLs would need a looser CSP (img-src data:); keep them as files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // Rolldown's "callbacks ran for 90% of this build" report is for plugin authors, not for `npm start`.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    // `TRACKSINK_API=http://127.0.0.1:8080 npx vite --config web/vite.config.ts` proxies the API in development.
    proxy: process.env['TRACKSINK_API'] ? { '/api': process.env['TRACKSINK_API'] } : undefined,
  },
});
