import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const desktop = resolve(import.meta.dirname, 'desktop/src');

/**
 * The renderer's head start (desktop/src/renderer/src/backend/head-start.ts) built as a plain
 * script of its own, head-start.js, and loaded by a classic script tag ahead of the module
 * scripts: it runs as soon as it arrives, before the app's chunks are compiled and evaluated, and
 * opens the live socket and the session check to overlap them. Build only: in the dev server the
 * app opens its own.
 */
function headStartScript(): Plugin {
  return {
    name: 'boiler-head-start',
    apply: 'build',
    buildStart() {
      this.emitFile({ type: 'chunk', id: resolve(desktop, 'renderer/src/backend/head-start.ts'), fileName: 'head-start.js' });
    },
    // At the end of the head, after the CSP: a classic script still runs before any module script.
    transformIndexHtml: () => [{ tag: 'script', attrs: { src: './head-start.js' }, injectTo: 'head' }],
  };
}

/**
 * Writes a brotli (.br) and a gzip (.gz) copy beside each built .js, .css and .html: the relay
 * sends the one the browser accepts (nas-relay/src/api/ui.ts), a quarter of the bytes to a kiosk
 * on Wi-Fi, compressed once at build at the best levels rather than on every request.
 */
function precompressed(): Plugin {
  return {
    name: 'boiler-precompressed',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir;
      if (dir === undefined) return;
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css|html)$/.test(name)) continue;
        const raw = Buffer.from(item.type === 'chunk' ? item.code : item.source);
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
        writeFileSync(join(dir, `${name}.gz`), gzipSync(raw, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  main: {
    // Bundled whole but for keytar (native, loaded lazily behind the secret store) and electron.
    build: { outDir: 'out/main', externalizeDeps: false, rollupOptions: { input: { index: resolve(desktop, 'main/index.ts') }, external: ['electron', 'keytar', /^node:/] } },
  },
  preload: {
    // A sandboxed preload is one CommonJS file that may require only electron.
    build: { outDir: 'out/preload', externalizeDeps: false, rollupOptions: { input: { index: resolve(desktop, 'preload/index.ts') }, external: ['electron'], output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    root: resolve(desktop, 'renderer'),
    plugins: [vue(), headStartScript(), precompressed()],
    // electron-vite leaves the renderer unminified unless asked; the relay serves this build to
    // browsers and the kiosk parses it on every start (npm run bench -- --only ui: size, navigation).
    build: {
      minify: true,
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: {
        input: { index: resolve(desktop, 'renderer/index.html') },
        // Rolldown's timing report (a warning whenever plugins take most of a build, as on a busy two-core machine) says nothing about the output.
        checks: { bundlerTimings: false },
      },
    },
  },
});
