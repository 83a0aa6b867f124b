export * from './errors.js';
export * from './record.js';
export * from './store.js';
export * from './sqlite-store.js';
export * from './transport.js';
export * from './queue.js';
export * from './wal-sync.js';
export {
  QUEUE_MIGRATIONS,
  QUEUE_SCHEMA_VERSION,
  QUEUE_BUSY_TIMEOUT_MS,
  QUEUE_SYNCHRONOUS,
  QUEUE_WAL_AUTOCHECKPOINT_PAGES,
  migrateQueue,
  moveQueueOutOf,
  queueFileBeside,
  openQueueDatabase,
  queueSchemaVersion,
  type QueueMigration,
} from './migrations.js';
