import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { type FastifyServerOptions, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { HttpError, pathSegments, queryProblems, targetPath } from './http.js';
import type { Logger } from './log.js';

/** A part's HTTP API: Fastify on a plain http.Server (https beneath when TLS is on), zod schemas typing routes. */
export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface HttpAppOptions {
  /** Largest request body in bytes; 413 above it. */
  bodyLimit: number;
  /** Serve HTTPS with this pair. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** The level 4xx answers are logged at (the relay, facing browsers, keeps them at debug). */
  refusalLogLevel: 'info' | 'debug';
}

// Typed for ajv schemas by Fastify; the compilers take zod schemas, which every route here gives.
const zodCompilers = {
  compilersFactory: { buildValidator: () => validatorCompiler, buildSerializer: () => () => (data: unknown) => JSON.stringify(data) },
} as unknown as NonNullable<FastifyServerOptions['schemaController']>;

/** What a route refuses a body with when the body's schema does not match: the code and what the body is. */
export interface BodyRefusal {
  code: string;
  what: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The 400 a body that fails the route's schema gets (default: invalid_body). */
    bodyRefusal?: BodyRefusal;
  }
}

/**
 * A Fastify app with the house's HTTP rules: each request an id, every refusal
 * `{error: {code, message, request_id}}`, `cache-control: no-store` and nosniff on answers that set
 * no cache policy of their own, the path (never the query) in the log, header and request timeouts
 * against slow clients, and the zod type provider. Routes, hooks and the 404 are the caller's.
 */
export function createHttpApp(options: HttpAppOptions, log: Logger): HttpApp {
  const serverOptions = { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8 * 1024 };
  const app = Fastify({
    // The server is made here so its timeouts are ours, not Fastify's (72 s keep-alive, no request timeout).
    serverFactory: (handler) => {
      // An https.Server is an http.Server with TLS beneath: the routes and the upgrades are the same.
      const server = options.tls === undefined ? createServer(serverOptions, handler) : (createHttpsServer({ ...serverOptions, ...options.tls }, handler) as unknown as Server);
      server.maxHeadersCount = 50;
      return server;
    },
    logger: false,
    // zod checks requests and JSON.stringify writes replies: Fastify's own compilers (ajv,
    // fast-json-stringify) are then never loaded, which keeps about that much off the Pi's RSS.
    schemaController: zodCompilers,
    genReqId: () => randomUUID(),
    bodyLimit: options.bodyLimit,
    // `/api/zones/` and `/api//zones` name the same resource, as they did before the router.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    clientErrorHandler: (err: Error, socket: Socket) => {
      log.debug({ err: err.message }, 'client error');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    },
    // The router refuses a path it cannot percent-decode before any hook runs; it gets the same answer as a route would give.
    frameworkErrors: (error, req, reply) => {
      let refusal = new HttpError(400, 'bad_request', error.message);
      if (error.code === 'FST_ERR_BAD_URL') {
        try {
          pathSegments(targetPath(req.raw.url));
        } catch (e) {
          if (e instanceof HttpError) refusal = e;
        }
      }
      answerRefusal(req, reply, refusal);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // JSON bodies only: anything else is 415 (Fastify would take text/plain as a string).
  app.removeContentTypeParser('text/plain');
  // A request that carries no body by nature (DELETE, GET) sent with a JSON content type and nothing
  // in it has nothing to parse: the servers before Fastify took it so (a client library that sets
  // the header on every call), where Fastify's own parser refuses it. A POST still needs its body.
  // Fastify's own parser (it refuses __proto__ and constructor.prototype keys), callback-style as Fastify writes it.
  const json = app.getDefaultJsonParser('error', 'error') as (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' && req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') {
      done(null, undefined);
      return;
    }
    json(req, body as string, done);
  });
  // Replies are typed by their schemas at compile time and written as they are (the serializer
  // above): a reading a schema's bound refuses must still be served, and the Pi does not pay to
  // check every answer.

  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    answerRefusal(req, reply, asHttpError(err, req));
  });

  function answerRefusal(req: FastifyRequest, reply: FastifyReply, err: HttpError): void {
    // The path only, never the query string: a client that puts its key in the URL must not find it in the log.
    const path = targetPath(req.raw.url);
    if (err.status >= 500) log.error({ err: err.cause ?? err, requestId: req.id, path }, 'request failed');
    else log[options.refusalLogLevel]({ requestId: req.id, status: err.status, code: err.code, path }, err.message);
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    void reply
      .code(err.status)
      .type('application/json; charset=utf-8')
      .send({ error: { code: err.code, message: err.message, request_id: req.id, ...err.extra } });
  }

  return app;
}

/** A refusal for the client: ours as thrown, Fastify's body and validation errors in our codes, anything else a 500. */
function asHttpError(err: FastifyError, req: FastifyRequest): HttpError {
  if (err instanceof HttpError) return err;
  if (Array.isArray(err.validation)) {
    const problems = queryProblems(err.validation);
    if (err.validationContext === 'querystring') return new HttpError(400, 'invalid_query', problems);
    if (err.validationContext === 'body') {
      const refusal = req.routeOptions.config.bodyRefusal ?? { code: 'invalid_body', what: 'body' };
      const described = err.validation
        .slice(0, 5)
        .map((v) => `${v.instancePath === '' || v.instancePath === '/' ? '(root)' : v.instancePath.slice(1).replaceAll('/', '.')}: ${v.message ?? 'invalid'}`)
        .join('; ');
      return new HttpError(400, refusal.code, `${refusal.what}: ${described}`);
    }
    return new HttpError(400, 'invalid_request', problems);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'body_too_large', `request body is over the ${req.routeOptions.bodyLimit} byte limit`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'malformed_json', `body is not JSON: ${err.message}`);
    default:
      break;
  }
  if (err instanceof SyntaxError) return new HttpError(400, 'malformed_json', `body is not JSON: ${err.message}`);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new HttpError(err.statusCode, 'bad_request', err.message);
  const internal = new HttpError(500, 'internal', 'internal error');
  internal.cause = err;
  return internal;
}
