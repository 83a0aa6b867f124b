import { Codec, message, type ZoneState } from '@boiler/shared';
import { nodeCompression } from '@boiler/service';
import { opsPerSecond, type BenchRow } from './table.js';

function zones(n: number): ZoneState[] {
  return Array.from({ length: n }, (_, i) => ({
    zone: `Z${i + 1}`,
    label: `Zone ${i + 1}`,
    kind: 'heat',
    mode: 'AUTO',
    output: i % 3 === 0,
    call_for_heat: false,
    condition: 'normal',
    room_c: 18 + (i % 7) * 0.5,
    pipe_c: 30 + (i % 11),
    setpoint_c: 20,
    override: null,
    boost_until: null,
    fault: null,
    changed_at: 1_764_000_000_000 + i,
    updated_at: 1_764_000_000_000 + i * 7,
  }));
}

/** Encode and decode rates for a 100-zone batch, with gzip (as sent) and without, beside raw JSON. */
export function benchCodec(): BenchRow[] {
  const batch = message('zone_state_update', { zones: zones(100) }, { ts: 1_764_000_000_000, seq: 1 });
  const gzipped = new Codec(nodeCompression);
  const plain = new Codec(nodeCompression, { gzipThresholdBytes: Number.MAX_SAFE_INTEGER });
  const gzFrame = gzipped.encode(batch);
  const plainFrame = plain.encode(batch);
  const rawJson = JSON.stringify(batch);
  const rawEncode = opsPerSecond(() => JSON.stringify(batch));
  const rawDecode = opsPerSecond(() => JSON.parse(rawJson));
  const rows: BenchRow[] = [];
  const add = (name: string, value: number, floor: { name: string; value: number }) =>
    rows.push({ suite: 'codec', name, value, unit: 'frames/s', floor });
  add('encode 100 zones, plain', opsPerSecond(() => plain.encode(batch)), { name: 'JSON.stringify', value: rawEncode });
  add('decode 100 zones, plain', opsPerSecond(() => plain.decode(plainFrame)), { name: 'JSON.parse', value: rawDecode });
  add('encode 100 zones, gzip', opsPerSecond(() => gzipped.encode(batch)), { name: 'JSON.stringify', value: rawEncode });
  add('decode 100 zones, gzip', opsPerSecond(() => gzipped.decode(gzFrame)), { name: 'JSON.parse', value: rawDecode });
  const size = typeof gzFrame === 'string' ? gzFrame.length : gzFrame.byteLength;
  rows.push({ suite: 'codec', name: '100-zone frame size, gzip', value: size / 1024, unit: 'KiB', floor: { name: 'plain JSON KiB', value: plainFrame.length / 1024 } });
  return rows;
}
