import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const desktop = resolve(import.meta.dirname, 'desktop/src');

export default defineConfig({
  main: {
    build: { outDir: 'out/main', rollupOptions: { input: { index: resolve(desktop, 'main/index.ts') } } },
  },
  preload: {
    build: { outDir: 'out/preload', rollupOptions: { input: { index: resolve(desktop, 'preload/index.ts') } } },
  },
  renderer: {
    root: resolve(desktop, 'renderer'),
    plugins: [vue()],
    // electron-vite leaves the renderer unminified unless asked; the relay serves this build to
    // browsers and the kiosk parses it on every start (npm run bench -- --only ui: size, navigation).
    build: { minify: true, outDir: resolve(import.meta.dirname, 'out/renderer'), rollupOptions: { input: { index: resolve(desktop, 'renderer/index.html') } } },
  },
});
