import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('svelte/compiler').CompileOptions & Record<string, unknown>} */
export default {
  // TypeScript in <script lang="ts"> (Svelte 5 strips types itself; this also covers <style>).
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};
