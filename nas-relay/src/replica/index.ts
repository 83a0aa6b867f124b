export * from './replica.js';
export * from './errors.js';
export * from './lag.js';
export * from './retention.js';
export {
  REPLICA_MIGRATIONS,
  REPLICA_SCHEMA_VERSION,
  REPLICA_BUSY_TIMEOUT_MS,
  REPLICA_SYNCHRONOUS,
  REPLICA_WAL_AUTOCHECKPOINT_PAGES,
  migrateReplica,
  openReplicaDatabase,
  replicaSchemaVersion,
  type ReplicaMigration,
} from './migrations.js';
