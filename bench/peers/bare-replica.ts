// The near end of the bare catch-up: asks the bare log agent for each range given, and applies what
// comes back to a fresh replica file, nothing else: each page gunzipped, parsed, its events checked
// (checkEventEntries, the codec's fast path) and applied with the replica's own applyEvents (its
// events, samples and rollups, one transaction a page). Prints each range's ms, request to applied.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { checkEventEntries } from '@boiler/shared';
import { Replica } from '../../nas-relay/src/replica/index.js';

const [url, ...ranges] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'bench-bare-replica-'));
const replica = Replica.open(join(dir, 'replica.db'));
const done = () => {
  replica.close();
  rmSync(dir, { recursive: true, force: true });
};

const ws = new WebSocket(url ?? '', { perMessageDeflate: false });
ws.once('open', () => {
  void (async () => {
    const ms: number[] = [];
    for (const range of ranges) {
      const [after, to] = range.split(':').map(Number) as [number, number];
      ms.push(await catchUp(after, to));
    }
    console.log(JSON.stringify({ ms }));
    ws.close();
    done();
  })();
});

function catchUp(after: number, to: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let first = true;
    const t0 = performance.now();
    const onPage = (data: Buffer) => {
      const events = checkEventEntries((JSON.parse(gunzipSync(data).toString('utf8')) as { events: unknown[] }).events);
      if (events === null) return reject(new Error('a page the fast check refused'));
      // The range starts past what this fresh replica holds: its first page opens a gap, as a full sync's may.
      const applied = replica.applyEvents(events, { allowGap: first });
      first = false;
      if (applied >= to) {
        ws.off('message', onPage);
        resolve(performance.now() - t0);
      }
    };
    ws.on('message', onPage);
    ws.send(JSON.stringify({ after, to }));
  });
}
