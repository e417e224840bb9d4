import { defineConfig } from 'vitest/config';

// The server under development: `SITEWATCH_API=http://127.0.0.1:8080 npm run dev`.
const api = process.env.SITEWATCH_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts anywhere: the production CSP is `default-src 'self'`.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/health': api,
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
