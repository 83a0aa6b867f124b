import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';
import { HttpError, pathSegments } from '@boiler/service';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Boiler Controller</title></head>
<body><h1>Boiler Controller relay</h1><p>The relay is running. The web UI has not been built here yet
(<code>npm run build</code>); the API is at <code>/api/</code> and health at <code>/health</code>.</p></body></html>`;

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

/** Serves the built UI from uiDir (single-page app: unknown paths get index.html), or a placeholder. */
export function serveUi(res: ServerResponse, path: string, uiDir: string | undefined): void {
  const headers = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  };
  // Malformed paths are refused alike whether the UI is built or not.
  pathSegments(path);
  const index = uiDir === undefined ? undefined : join(uiDir, 'index.html');
  if (uiDir === undefined || index === undefined || !existsSync(index)) {
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(PLACEHOLDER);
    return;
  }
  const wanted = uiFile(uiDir, path);
  if (wanted === null) throw new HttpError(404, 'not_found', 'no such file in the UI');
  let file = existsSync(wanted) && statSync(wanted).isFile() ? wanted : index;
  if (extname(file) === '') file = index;
  res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': file === index ? 'no-cache' : 'max-age=3600' });
  res.end(readFileSync(file));
}
