export * from './agent-store.js';
export * from './errors.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration } from './migrations.js';
export { openDatabase, BUSY_TIMEOUT_MS, CACHE_KIB, SYNCHRONOUS, type OpenOptions } from './open.js';
export { MAX_HISTORY_POINTS, ROLLUP_TIERS, planHistory, historySegments, type HistoryPlan, type RollupTier } from './history.js';
export * from './pending-writes.js';
export * from './storage-health.js';
