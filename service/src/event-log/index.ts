export * from './schema.js';
export * from './history.js';
export * from './events.js';
export * from './samples.js';
export * from './zone-stats.js';
