import { z } from 'zod';

/** Every IPC argument from the page is parsed by one of these before the main process acts on it. */

export const PairArgs = z.tuple([
  z.object({
    relay: z.string().trim().min(1).max(300),
    key: z.string().trim().min(1).max(1000),
    fingerprint: z.string().trim().min(1).max(200),
  }).strict(),
]);

/**
 * The relay routes the page may ask for, and nothing else: the app's read routes, its two
 * command routes and the notifications' two. A path is one of these, with a query of plain characters.
 */
const ROUTES: readonly { method: 'GET' | 'POST'; path: RegExp }[] = [
  { method: 'GET', path: /^\/api\/zones\/[A-Za-z0-9_-]{1,64}\/(history|stats)$/ },
  { method: 'GET', path: /^\/api\/(schedules|presets|events|commands|session)$/ },
  { method: 'POST', path: /^\/api\/commands$/ },
  { method: 'POST', path: /^\/api\/commands\/[0-9a-fA-F-]{36}\/retry$/ },
  // The settings' notifications: the channels, and a test notice on one (the relay's channel names).
  { method: 'GET', path: /^\/api\/notify$/ },
  { method: 'POST', path: /^\/api\/notify\/channels\/[a-z0-9][a-z0-9_-]{0,31}\/test$/ },
];

export function allowedRoute(method: 'GET' | 'POST', pathWithQuery: string): boolean {
  const [path, query, ...rest] = pathWithQuery.split('?');
  if (path === undefined || rest.length > 0) return false;
  if (query !== undefined && !/^[A-Za-z0-9_.,=&%:-]*$/.test(query)) return false;
  return ROUTES.some((r) => r.method === method && r.path.test(path));
}

export const RequestArgs = z.tuple([
  z.object({
    method: z.enum(['GET', 'POST']),
    path: z.string().max(2000),
    body: z.unknown().optional(),
  }).strict().refine((r) => allowedRoute(r.method, r.path), { message: 'not a relay route the app uses' }).refine((r) => r.method === 'POST' || r.body === undefined, { message: 'a GET carries no body' }),
]);

export const NoArgs = z.tuple([]);
