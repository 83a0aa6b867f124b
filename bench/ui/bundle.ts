/**
 * The renderer's JavaScript by size, and the bench's own pages built the way the renderer is
 * (Vite with the Vue plugin, production mode).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import vue from '@vitejs/plugin-vue';

export const pageDir = join(import.meta.dirname, 'page');

/** Bytes of a file raw and gzipped at level 9; for a file a page loaded, the bytes of its body as sent, and their encoding. */
export interface Sized {
  file: string;
  raw: number;
  gzip: number;
  sent?: number;
  encoding?: string;
}

export function gzipSize(content: Buffer): number {
  return gzipSync(content, { level: 9 }).length;
}

/** Every .js file under dir (any depth), sized. */
export function jsFiles(dir: string): Sized[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((file) => {
      const content = readFileSync(join(dir, file));
      return { file, raw: content.length, gzip: gzipSize(content) };
    });
}

export function total(files: readonly Sized[], field: 'raw' | 'gzip' | 'sent'): number {
  return files.reduce((sum, f) => sum + (f[field] ?? Number.NaN), 0);
}

/** Builds one of the bench's pages (an .html under bench/ui/page) into outDir. */
export async function buildPage(html: string, outDir: string): Promise<void> {
  await build({
    root: pageDir,
    configFile: false,
    logLevel: 'warn',
    plugins: [vue()],
    build: { outDir, emptyOutDir: true, rollupOptions: { input: { page: join(pageDir, html) } } },
  });
}
