export * from './store.js';
export * from './errors.js';
export * from './memory-store.js';
export * from './redis-store.js';
export * from './event-ring.js';
export * from './relay-cache.js';
