import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { HttpError, pathSegments, type HttpApp } from '@boiler/service';

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Boiler Controller</title></head>
<body><h1>Boiler Controller relay</h1><p>The relay is running. The web UI has not been built here yet
(<code>npm run build</code>); the API is at <code>/api/</code> and health at <code>/health</code>.</p></body></html>`;

const UI_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
} as const;

/**
 * The file under uiDir a URL path names, or null when it names something outside it. The path
 * is decoded (400 when malformed), resolved, and compared with path.relative: a string prefix
 * test would let `/..%2Frenderer-old/x` reach a sibling folder whose name starts the same.
 */
export function uiFile(uiDir: string, urlPath: string): string | null {
  const root = resolve(uiDir);
  const segments = pathSegments(urlPath);
  // A NUL byte makes the fs calls throw; no file of the UI has one in its name.
  if (segments.some((s) => s.includes('\0'))) return null;
  const wanted = resolve(root, ...segments.map((s) => `./${s}`));
  const inside = relative(root, wanted);
  if (inside === '') return root;
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return null;
  return wanted;
}

/** Whether a file of the UI is one of the build's assets, whose names change with their content. */
function isHashedAsset(uiDir: string, file: string): boolean {
  return relative(resolve(uiDir), file).split(sep)[0] === 'assets';
}

/**
 * Serves the built UI from uiDir with @fastify/static: each file there at start is a route of
 * its own (no wildcard, so no path a client writes can reach past the folder), with the UI's
 * security headers. The build's brotli and gzip copies (file.br, file.gz) are sent in place of a
 * file to a browser that accepts them, and are no routes of their own. The assets, named by
 * their content, are cached for good; everything else (index.html) is asked for again each time.
 */
export async function registerUi(app: HttpApp, uiDir: string | undefined): Promise<void> {
  if (uiDir === undefined) return;
  await app.register(fastifyStatic, {
    root: resolve(uiDir),
    wildcard: false,
    preCompressed: true,
    globIgnore: ['**/*.br', '**/*.gz'],
    cacheControl: false,
    setHeaders: (reply: FastifyReply, file: string) => {
      reply.headers({ ...UI_HEADERS, 'cache-control': isHashedAsset(uiDir, file) ? 'public, max-age=31536000, immutable' : 'no-cache' });
    },
  });
}

/**
 * A GET for a path that is no route and no file: the single-page app's index.html (the app
 * routes it), or a placeholder page while the UI is not built. A path that resolves outside the
 * folder is 404; one with malformed percent-encoding 400.
 */
export function answerWithUi(reply: FastifyReply, path: string, uiDir: string | undefined): FastifyReply {
  // Malformed paths are refused alike whether the UI is built or not.
  pathSegments(path);
  if (uiDir === undefined || !existsSync(join(uiDir, 'index.html'))) {
    return reply.headers({ ...UI_HEADERS, 'cache-control': 'no-cache' }).type('text/html; charset=utf-8').send(PLACEHOLDER);
  }
  if (uiFile(uiDir, path) === null) throw new HttpError(404, 'not_found', 'no such file in the UI');
  return reply.sendFile('index.html', resolve(uiDir));
}
