import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The app icon lives in the repository's `icons/` folder, outside this package.
const iconsDir = fileURLToPath(new URL('../icons', import.meta.url));
const uiDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  plugins: [svelte()],
  // Tauri prints its own output; keep Vite from wiping it.
  clearScreen: false,
  server: {
    // tauri.conf.json's devUrl points here; a different port would load nothing.
    port: 1420,
    strictPort: true,
    fs: { allow: [uiDir, iconsDir] },
    watch: { ignored: ['**/src-tauri/**'] },
  },
  build: {
    // WebKitGTK on Debian 12 and WKWebView on macOS 11+ both handle Safari 14 output.
    target: process.env.TAURI_ENV_PLATFORM === 'windows' ? 'chrome105' : 'safari14',
    sourcemap: !!process.env.TAURI_ENV_DEBUG,
    // The CSP allows no `data:` images: every asset must be a file served by the app.
    assetsInlineLimit: 0,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
});
