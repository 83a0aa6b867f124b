import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, closeSync, mkdtempSync, openSync, rmdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventEntry, SystemState, ZoneState } from '@boiler/shared';
import { command, getJson, postCommand, startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { linkView, startRelay, type RelayUnderTest } from '../support/relay-process.js';

// The agent's database on a real, small filesystem that fills up: a size-limited tmpfs mounted
// here, as root (CI runs the suite as root). A filler file takes every free byte; the agent must
// keep freeze protection heating, say `degraded` with the reason, raise storage_fault, and once the
// filler is gone store what waited, in order and with contiguous seqs, and get it to the relay.

const TMPFS_SIZE = '32m';
const HEAT_ZONES = Array.from({ length: 13 }, (_, i) => `Z${i + 1}`);

let mountPoint: string | undefined;
let mountProblem: string | undefined;
let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    mountPoint = dir;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    mountProblem = `cannot mount a ${TMPFS_SIZE} tmpfs at ${dir} (this test needs root, as CI has; uid ${process.getuid?.() ?? '?'}): ${stderr || (err as Error).message}`;
    rmdirSync(dir);
  }
});

afterAll(async () => {
  await relay?.stop();
  await agent?.stop();
  relay?.cleanup();
  if (mountPoint !== undefined) {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    }
    rmdirSync(mountPoint);
  }
});

/** Writes zeros into `file` until the filesystem says ENOSPC, 1 MiB and then 4 KiB at a time; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1024 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

interface Health {
  status: string;
  reasons: string[];
  storage: { ok: boolean; pending: number; dropped: { samples: number; events: number } };
}

describe('the agent on a filesystem that fills up, in cold weather', () => {
  it('keeps freeze protection heating, says degraded, raises storage_fault, and stores what waited in order once space is freed', async () => {
    if (mountPoint === undefined) throw new Error(mountProblem);
    agent = await startAgent({
      dir: mountPoint,
      env: {
        SIM_SPEED: '600',
        SIM_OUTDOOR_C: '-25',
        SIM_ROOM_C: '9',
        BATCH_INTERVAL: '1',
        HEARTBEAT_INTERVAL: '1',
        API_RATE_LIMIT: '1000',
      },
    });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 30_000 }).toBe(true);

    // Every heat zone OFF: from here only freeze protection may switch one on.
    for (const zone of HEAT_ZONES) {
      const res = await postCommand(agent.url, command({ type: 'zone_mode', zone, mode: 'OFF' }, { expires_at: Date.now() + 30 * 24 * 3600_000 }));
      expect(res.status).toBe(200);
    }
    // (A zone that was heating may stay on for its minimum on time; the check below waits for an off-to-on switch.)
    const seqBefore = (await linkView(relay.url)).applied_seq;
    expect(seqBefore).toBeGreaterThan(0);

    const filler = join(mountPoint, 'filler');
    const filled = fillUp(filler);
    expect(filled).toBeGreaterThan(0);
    expect(statfsSync(mountPoint).bavail).toBe(0);

    // The next writes fail (the WAL may take a few more in space it already has).
    await expect
      .poll(async () => (await getJson<Health>(agent!.url, '/health', null)).body.status, { timeout: 90_000, interval: 250 })
      .toBe('degraded');
    const degraded = (await getJson<Health>(agent.url, '/health', null)).body;
    expect(degraded.reasons.join(' ')).toMatch(/storage_fault: SQLITE_FULL/);
    expect(degraded.storage.ok).toBe(false);
    const system = (await getJson<SystemState>(agent.url, '/api/system')).body;
    expect(system.alerts.find((a) => a.kind === 'storage_fault')?.message).toMatch(/SQLITE_FULL/);

    // The rooms cool below the freeze limit while the disk is full, and zones switch on: a zone
    // seen off during the outage is later seen heating for freeze protection.
    const seenOff = new Set<string>();
    const switchedOn = new Set<string>();
    const deadline = Date.now() + 120_000;
    while (switchedOn.size === 0) {
      if (Date.now() > deadline) throw new Error(`no zone switched on for freeze protection while the disk was full (seen off: ${[...seenOff].join(', ')})`);
      for (const z of (await getJson<{ zones: ZoneState[] }>(agent.url, '/api/zones')).body.zones) {
        if (!HEAT_ZONES.includes(z.zone)) continue;
        if (!z.output) seenOff.add(z.zone);
        else if (seenOff.has(z.zone) && z.condition === 'freeze_protect') switchedOn.add(z.zone);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Still full: all of that happened from memory.
    const during = (await getJson<Health>(agent.url, '/health', null)).body;
    expect(during.storage.ok).toBe(false);
    expect(during.storage.pending).toBeGreaterThan(0);
    // The failure is logged once for the whole episode, not every tick.
    expect(agent.proc.lines.filter((l) => l.msg === 'storage write failed; control goes on from memory, writes wait and are retried')).toHaveLength(1);
    expect(agent.proc.lines.filter((l) => l.msg === 'control tick failed; outputs to safe state')).toHaveLength(0);

    rmSync(filler);
    await expect.poll(async () => (await getJson<Health>(agent!.url, '/health', null)).body.storage, { timeout: 90_000, interval: 250 }).toMatchObject({ ok: true, pending: 0 });
    expect(agent.proc.lines.filter((l) => l.msg === 'storage writes succeed again; waiting writes follow in order')).toHaveLength(1);

    // In the agent's database: everything after the last event the relay had before the fill, contiguous.
    const db = new Database(agent.dbPath, { readonly: true });
    let stored: EventEntry[];
    try {
      stored = db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq').all(seqBefore) as EventEntry[];
    } finally {
      db.close();
    }
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.seq).toBe(stored[i - 1]!.seq + 1);
    const alert = stored.find((e) => e.event === 'ALERT' && (e.detail ?? '').startsWith('storage_fault:'));
    expect(alert).toBeDefined();
    const freezeOns = stored.filter((e) => e.event === 'ON' && (e.detail ?? '').startsWith('freeze protection') && e.seq > alert!.seq);
    // Each zone seen switching on during the outage has its freeze ON stored after the alert.
    for (const zone of switchedOn) expect(freezeOns.some((e) => e.zone === zone)).toBe(true);

    // And on the relay, through the normal outbox: every one of them, same seqs.
    const lastFreeze = freezeOns.at(-1)!.seq;
    await expect.poll(async () => (await linkView(relay!.url)).applied_seq, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(lastFreeze);
    const replica = new Database(relay.dbPath, { readonly: true });
    try {
      const onRelay = replica.prepare(`SELECT seq, event, zone, detail FROM events WHERE seq IN (${[alert!.seq, ...freezeOns.map((e) => e.seq)].join(',')}) ORDER BY seq`).all();
      expect(onRelay).toEqual([alert!, ...freezeOns].map((e) => ({ seq: e.seq, event: e.event, zone: e.zone, detail: e.detail })));
    } finally {
      replica.close();
    }
  });

  it('starts on a disk that is already full (no room for the WAL index), heats, and stores what waited once space is freed', async () => {
    if (mountPoint === undefined) throw new Error(mountProblem);
    const dir = mountPoint;
    // The first test's agent (if any) stops cleanly: SQLite removes its -wal and -shm files, which
    // a start on a full disk cannot make again.
    await relay?.stop();
    await agent?.stop();
    const env = { SIM_SPEED: '600', SIM_OUTDOOR_C: '-25', SIM_ROOM_C: '9', API_RATE_LIMIT: '1000' };
    if (agent === undefined) {
      agent = await startAgent({ dir, env });
      await agent.stop();
    }
    const seqBefore = lastSeqIn(join(dir, 'agent.db'));
    // As a cleanly stopped agent leaves it: only the database file, no WAL or WAL index.
    expect(readdirSync(dir).filter((f) => f.startsWith('agent.db-'))).toEqual([]);
    const filler = join(dir, 'filler');
    fillUp(filler);
    expect(statfsSync(dir).bavail).toBe(0);

    agent = await startAgent({ dir, env });
    expect(agent.proc.lines.some((l) => l.msg === 'opening the database failed; opening it again with an exclusive lock (a full disk?)')).toBe(true);
    await expect.poll(async () => (await getJson<Health>(agent!.url, '/health', null)).body.reasons.join(' '), { timeout: 60_000, interval: 250 }).toMatch(/storage_fault: SQLITE_FULL/);
    // Every zone heat OFF is refused (it cannot be stored), so the zones run their schedules or
    // freeze protection; either way the outputs are driven: some zone heats while nothing is written.
    await expect
      .poll(async () => (await getJson<{ zones: ZoneState[] }>(agent!.url, '/api/zones')).body.zones.filter((z) => z.output).length, { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(0);
    const refused = await postCommand(agent.url, command({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' }, { expires_at: Date.now() + 30 * 24 * 3600_000 }));
    expect(refused.status).toBe(503);

    rmSync(filler);
    await expect.poll(async () => (await getJson<Health>(agent!.url, '/health', null)).body.storage, { timeout: 90_000, interval: 250 }).toMatchObject({ ok: true, pending: 0 });
    const ok = await postCommand(agent.url, command({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' }, { expires_at: Date.now() + 30 * 24 * 3600_000 }));
    expect(ok.status).toBe(200);
    await agent.stop(); // releases the exclusive lock, so the file can be read here

    const db = new Database(join(dir, 'agent.db'), { readonly: true });
    try {
      const stored = db.prepare('SELECT seq, event, detail FROM events WHERE seq > ? ORDER BY seq').all(seqBefore) as Pick<EventEntry, 'seq' | 'event' | 'detail'>[];
      expect(stored[0]?.seq).toBe(seqBefore + 1);
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.seq).toBe(stored[i - 1]!.seq + 1);
      expect(stored.some((e) => e.event === 'ALERT' && (e.detail ?? '').startsWith('storage_fault:'))).toBe(true);
      expect(stored.some((e) => e.event === 'ON')).toBe(true);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});

/** The highest seq in the file. Read-write on purpose: closing the last such connection removes the -wal and -shm files again. */
function lastSeqIn(file: string): number {
  const db = new Database(file);
  try {
    return (db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  } finally {
    db.close();
  }
}
