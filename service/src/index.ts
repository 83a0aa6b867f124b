export * from './log.js';
export * from './env.js';
export * from './gzip.js';
export * from './link-auth.js';
