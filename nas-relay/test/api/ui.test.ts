import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, createHttpApp, createLogger, type HttpApp } from '@boiler/service';
import { answerWithUi, registerUi, uiFile } from '../../src/api/ui.js';

// A built UI in out/renderer and, beside it, a sibling whose name starts the same: the folder a
// string-prefix check lets through.
const out = mkdtempSync(join(tmpdir(), 'boiler-ui-'));
const uiDir = join(out, 'renderer');
const sibling = join(out, 'renderer-old');
mkdirSync(join(uiDir, 'assets'), { recursive: true });
mkdirSync(sibling, { recursive: true });
writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>ui</title>');
writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log("app")');
// The build's compressed copies (electron.vite.config.ts), each with its own marker so the test can tell which was sent.
writeFileSync(join(uiDir, 'assets', 'app.js.br'), brotliCompressSync('console.log("app, br")'));
writeFileSync(join(uiDir, 'assets', 'app.js.gz'), gzipSync('console.log("app, gz")'));
writeFileSync(join(sibling, 'secret.txt'), 'SIBLING-SECRET');
writeFileSync(join(out, 'outside.txt'), 'OUTSIDE-SECRET');

// The relay's way of serving the UI (its static files and the single-page fallback) on an app of
// its own, with the same error answers as the relay's.
let app: HttpApp;
let port: number;
beforeAll(async () => {
  app = createHttpApp({ bodyLimit: 1024, refusalLogLevel: 'debug' }, createLogger({ name: 'test', level: 'silent' }));
  app.setNotFoundHandler((req, reply) => answerWithUi(reply, (req.raw.url ?? '/').split('?')[0] ?? '/', uiDir));
  await registerUi(app, uiDir);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});
afterAll(async () => {
  await app.close();
  rmSync(out, { recursive: true, force: true });
});

/** A GET with the path sent exactly as written (fetch would normalise dot segments away). */
function get(path: string): Promise<{ status: number; body: string }> {
  return getRaw(path).then(({ status, body }) => ({ status, body: body.toString() }));
}

/** A GET with the body as the bytes sent (not decoded whatever its content-encoding) and the headers. */
function getRaw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the relay serving the UI folder', () => {
  it('serves files of the UI and index.html for app routes', async () => {
    expect(await get('/assets/app.js')).toEqual({ status: 200, body: 'console.log("app")' });
    expect((await get('/zones/Z1')).body).toContain('<title>ui</title>');
    expect((await get('/')).body).toContain('<title>ui</title>');
  });

  it.each([
    '/..%2Frenderer-old%2Fsecret.txt',
    '/assets/..%2F..%2Frenderer-old%2Fsecret.txt',
    '/%2E%2E%2Frenderer-old%2Fsecret.txt',
    '/..%2Foutside.txt',
    '/../renderer-old/secret.txt',
    '/..%5Crenderer-old%5Csecret.txt',
  ])('never serves a sibling folder or anything outside: %s', async (path) => {
    const { status, body } = await get(path);
    expect(body).not.toContain('SECRET');
    expect([200, 404]).toContain(status);
  });

  it("sends the build's brotli or gzip copy to a browser that accepts it, the file itself to one that does not", async () => {
    const br = await getRaw('/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.body).toString()).toBe('console.log("app, br")');
    const gz = await getRaw('/assets/app.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe('console.log("app, gz")');
    const plain = await getRaw('/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe('console.log("app")');
  });

  it('serves the compressed copies as no files of their own', async () => {
    for (const path of ['/assets/app.js.br', '/assets/app.js.gz']) {
      const { body } = await getRaw(path);
      expect(body.toString()).toContain('<title>ui</title>');
    }
  });

  it('lets browsers keep the content-named assets for good and asks them to check index.html each time', async () => {
    expect((await getRaw('/assets/app.js', { 'accept-encoding': 'br' })).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await getRaw('/assets/app.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await getRaw('/index.html')).headers['cache-control']).toBe('no-cache');
    expect((await getRaw('/')).headers['cache-control']).toBe('no-cache');
    expect((await getRaw('/zones/Z1')).headers['cache-control']).toBe('no-cache');
  });

  it('answers 400 to malformed percent-encoding, not a thrown URIError', async () => {
    const malformed = await get('/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect((JSON.parse(malformed.body) as { error: { code: string } }).error.code).toBe('malformed_path');
    expect(() => uiFile(uiDir, '/%zz')).toThrow(HttpError);
  });

  it('resolves paths by path.relative, not by string prefix', () => {
    expect(uiFile(uiDir, '/..%2Frenderer-old%2Fsecret.txt')).toBeNull();
    expect(uiFile(uiDir, '/a/..%2F..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(uiFile(uiDir, '/assets/app.js')).toBe(join(uiDir, 'assets', 'app.js'));
    // A name that merely starts with two dots is inside.
    expect(uiFile(uiDir, '/..hidden.js')).toBe(join(uiDir, '..hidden.js'));
    expect(uiFile(uiDir, '/x%00.js')).toBeNull();
  });
});
