import { fdatasync, fstatSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SqliteCommandQueueStore, WalSync, openQueueDatabase, type FileSync } from '../../src/queue/index.js';
import { T0, newCommand, uuid } from './harness.js';
import { useTempQueueFiles } from './temp-queue.js';

const files = useTempQueueFiles();

/** A file sync that holds each call until the test lets it finish, and records which file it was asked to sync. */
function gatedSync() {
  const calls: { fd: number; finish: (err?: NodeJS.ErrnoException) => void }[] = [];
  const sync: FileSync = (fd, done) => {
    calls.push({ fd, finish: (err) => done(err ?? null) });
  };
  return { sync, calls };
}

/** Whether a promise has settled by the time the microtasks queued now have run. */
async function settled(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await Promise.resolve();
  await Promise.resolve();
  return state;
}

const accepted = (n: number) => ({ ts: T0, command_id: uuid(n), client: 'desktop', action: 'accepted' as const, detail: null });

describe('WalSync', () => {
  it('resolves durable() only once a sync begun after the commit has finished, and coalesces commits made while one runs', async () => {
    const { sync, calls } = gatedSync();
    const store = files.openStore();
    const wal = new WalSync(`${files.path()}-wal`, sync);
    expect(await settled(wal.durable())).toBe('resolved'); // nothing written yet

    wal.committed();
    await Promise.resolve();
    expect(calls).toHaveLength(1); // the sync starts once the committing task is done, not when someone asks
    const first = wal.durable();
    expect(calls).toHaveLength(1);
    wal.committed(); // made while the first sync runs: that sync may have missed it
    const second = wal.durable();
    wal.committed();
    expect(calls).toHaveLength(1); // one sync at a time
    expect(await settled(first)).toBe('pending');

    calls[0]!.finish();
    expect(await settled(first)).toBe('resolved');
    expect(await settled(second)).toBe('pending');
    expect(calls).toHaveLength(2); // one more sync covers both commits made meanwhile
    calls[1]!.finish();
    expect(await settled(second)).toBe('resolved');
    expect(calls).toHaveLength(2);
    wal.close();
    store.close();
  });

  it('rejects the waiters of a failed sync, and a later commit is synced again', async () => {
    const { sync, calls } = gatedSync();
    const store = files.openStore();
    const wal = new WalSync(`${files.path()}-wal`, sync);
    wal.committed();
    const lost = wal.durable();
    calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    expect(await settled(lost)).toBe('rejected');
    wal.committed();
    const next = wal.durable();
    expect(calls).toHaveLength(2);
    calls[1]!.finish();
    expect(await settled(next)).toBe('resolved');
    wal.close();
    store.close();
  });

  it('syncs what is left at close, before the file goes, and settles whoever waits', async () => {
    const { sync } = gatedSync();
    const store = files.openStore();
    const wal = new WalSync(`${files.path()}-wal`, sync);
    wal.committed(); // its sync never finishes: close must not wait on it, nor leave the waiter hanging
    const waiting = wal.durable();
    wal.close();
    expect(await settled(waiting)).toBe('resolved');
    store.close();
  });
});

describe('the SQLite queue store on the disk', () => {
  it('runs its connection at NORMAL and syncs the WAL file itself after each commit; durable() waits for that sync', async () => {
    const synced: number[] = [];
    let release: (() => void) | undefined;
    const sync: FileSync = (fd, done) => {
      synced.push(fstatSync(fd).ino);
      // The real fdatasync, held until the test lets the answer through.
      release = () => fdatasync(fd, done);
    };
    const store = SqliteCommandQueueStore.open(files.path(), { sync });
    files.onCleanup(() => store.close());
    // FULL while opening (migrations), NORMAL once the store does FULL's sync of the WAL itself.
    expect(store['db'].pragma('synchronous', { simple: true })).toBe(1);

    store.insert(newCommand(1), accepted(1));
    // The commit is visible (and safe from a crash of the process) at once ...
    const other = files.raw();
    expect(other.prepare('SELECT id FROM queue_commands').all()).toEqual([{ id: uuid(1) }]);
    // ... and its sync, of the WAL file's inode, starts once this task is done; durable() waits for it.
    expect(synced).toEqual([]);
    await Promise.resolve();
    expect(synced).toEqual([statSync(`${files.path()}-wal`).ino]);
    const durable = store.durable();
    expect(await settled(durable)).toBe('pending');
    release!();
    await durable;

    store.update({ ...store.get(uuid(1))!, state: 'sent', attempts: 1, sent_at: T0 }, { ...accepted(1), action: 'sent' });
    await Promise.resolve();
    expect(synced).toHaveLength(2);
    release!();
    await store.durable();
  });

  it('a store opened on a plain connection syncs nothing it did not write', async () => {
    const db = openQueueDatabase(files.path());
    const store = new SqliteCommandQueueStore(db);
    files.onCleanup(() => store.close());
    await expect(store.durable()).resolves.toBeUndefined();
  });
});
