import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * Cross-origin isolation: harmless today, needed for SharedArrayBuffer later. server/static.ts sends
 * the same headers in production; dev and preview send them too so the three behave alike.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  plugins: [
    svelte({ configFile: false }),
    // Offline: a Workbox service worker precaches the whole build (app, engine worker, preset files
    // and, as they land, the WASM tools). It waits for the user (registerType 'prompt'): the app
    // shows "new version available" and reloads only when asked. The manifest is public/'s own.
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      filename: 'sw.js',
      workbox: {
        globPatterns: ['**/*'],
        globIgnores: ['**/*.map'],
        // The WASM tools are megabytes; everything the app needs offline is precached.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  // The engine worker is one bundle on purpose (it is loaded once, and precached for offline use): the
  // build's lazy imports exist for the CLI's cold start (scripts/build-cli.mjs), so Rolldown's note that
  // they do not split the worker ([INEFFECTIVE_DYNAMIC_IMPORT]) is expected and not a user's concern.
  worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false, ineffectiveDynamicImport: false } } },
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Rolldown's [PLUGIN_TIMINGS] note ("plugins take significant time") tells a user of `npm start`
    // nothing they can act on; `npm run build` keeps every other warning.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: { host: '127.0.0.1', headers: crossOriginIsolation },
  preview: { host: '127.0.0.1', headers: crossOriginIsolation },
});
