// Builds the web UI into dist/ui/, which `lockstep ui` serves at `/` (see docs/api-contract.md).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run ui:dev` talks to a running `lockstep ui` on port 5000
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
  logLevel: 'warn',
});
