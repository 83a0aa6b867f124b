export * from './log.js';
export * from './env.js';
export * from './gzip.js';
export * from './link-auth.js';
export * from './event-log/index.js';
export * from './http.js';
export * from './sqlite.js';
export * from './loopback.js';
