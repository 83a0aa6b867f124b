export * from './errors.js';
export * from './fingerprint.js';
export * from './certificate.js';
export * from './pinning.js';
