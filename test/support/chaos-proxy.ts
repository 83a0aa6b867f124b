import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to each data frame flowing from the agent to the relay. */
export interface Chaos {
  duplicate: number;
  /** Holds a frame back and sends it after the next one. */
  reorder: number;
  delay: number;
  delayMs: number;
  /** Cuts a frame's payload short (the header is fixed up, so the stream stays in step). */
  truncate: number;
  /** Flips a byte of the payload. */
  corrupt: number;
  /** At least this long between data frames to the relay (a slow link); 0 for none. */
  paceMs?: number;
}

export const NO_CHAOS: Chaos = { duplicate: 0, reorder: 0, delay: 0, delayMs: 0, truncate: 0, corrupt: 0 };

export interface ProxyStats {
  frames: number;
  duplicated: number;
  reordered: number;
  delayed: number;
  truncated: number;
  corrupted: number;
  connections: number;
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Frame {
  header: Buffer;
  payload: Buffer;
  opcode: number;
  masked: boolean;
}

/** Splits a websocket byte stream into frames (RFC 6455 section 5.2). */
class FrameReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b1 = this.buf[1] as number;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (masked) off += 4;
      if (this.buf.length < off + len) break;
      frames.push({ header: this.buf.subarray(0, off), payload: this.buf.subarray(off, off + len), opcode: (this.buf[0] as number) & 0x0f, masked });
      this.buf = this.buf.subarray(off + len);
    }
    return frames;
  }
}

function encodeFrame(f: Frame, payload: Buffer): Buffer {
  const first = f.header[0] as number;
  const mask = f.masked ? f.header.subarray(f.header.length - 4) : null;
  const len = payload.length;
  let head: Buffer;
  if (len < 126) head = Buffer.from([first, (f.masked ? 0x80 : 0) | len]);
  else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = (f.masked ? 0x80 : 0) | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = (f.masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat(mask === null ? [head, payload] : [head, mask, payload]);
}

/**
 * A TCP proxy between the relay and the agent that misbehaves on purpose: it parses the
 * websocket stream and duplicates, reorders, delays, truncates and corrupts data frames from
 * the agent, or stops forwarding altogether without closing (a half-open link).
 */
export class ChaosProxy {
  readonly stats: ProxyStats = { frames: 0, duplicated: 0, reordered: 0, delayed: 0, truncated: 0, corrupted: 0, connections: 0 };
  chaos: Chaos = { ...NO_CHAOS };
  /** While true, nothing is forwarded in either direction and nothing is closed. */
  blackhole = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;

  constructor(
    private readonly target: { host: string; port: number },
    seed = 42,
  ) {
    this.random = prng(seed);
  }

  async listen(): Promise<number> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  /** Cuts every connection (both sides see a reset). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private pipe(client: Socket): void {
    this.stats.connections++;
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const cleanup = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', cleanup);
    upstream.on('error', cleanup);
    client.on('close', cleanup);
    upstream.on('close', cleanup);

    // Relay -> agent: passed through untouched (but held back while blackholed).
    client.on('data', (chunk: Buffer) => {
      if (!this.blackhole) upstream.write(chunk);
    });

    // Agent -> relay: the HTTP upgrade response passes as is, then frames are tampered with.
    let handshakeDone = false;
    let pending = Buffer.alloc(0);
    const reader = new FrameReader();
    let held: Buffer | null = null;
    let nextAt = 0;
    // The handshake passes untouched: mischief there only makes the relay reconnect, and the
    // link's faults are what these tests are about. Once auth_ok has passed, frames are fair game.
    let linkOpen = false;
    upstream.on('data', (chunk: Buffer) => {
      if (this.blackhole) return;
      if (!handshakeDone) {
        pending = Buffer.concat([pending, chunk]);
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.write(pending.subarray(0, end + 4));
        handshakeDone = true;
        chunk = pending.subarray(end + 4);
        if (chunk.length === 0) return;
      }
      for (const frame of reader.push(chunk)) {
        const isData = frame.opcode === 1 || frame.opcode === 2;
        let out: Buffer = Buffer.concat([frame.header, frame.payload]);
        if (!isData || !linkOpen) {
          if (isData && frame.payload.includes('"type":"auth_ok"')) linkOpen = true;
          client.write(out);
          continue;
        }
        this.stats.frames++;
        const c = this.chaos;
        if (this.random() < c.truncate && frame.payload.length > 4) {
          this.stats.truncated++;
          out = encodeFrame(frame, frame.payload.subarray(0, Math.floor(frame.payload.length / 2)));
        } else if (this.random() < c.corrupt && frame.payload.length > 0) {
          this.stats.corrupted++;
          const p = Buffer.from(frame.payload);
          const i = Math.floor(this.random() * p.length);
          p[i] = (p[i] as number) ^ (1 << Math.floor(this.random() * 7));
          out = encodeFrame(frame, p);
        }
        const copies = this.random() < c.duplicate ? 2 : 1;
        if (copies === 2) this.stats.duplicated++;
        const send = (buf: Buffer) => {
          if (!client.destroyed && !this.blackhole) client.write(buf);
        };
        if (held === null && this.random() < c.reorder) {
          this.stats.reordered++;
          held = out;
          continue;
        }
        const emit = () => {
          for (let i = 0; i < copies; i++) send(out);
          if (held !== null) {
            send(held);
            held = null;
          }
        };
        if ((c.paceMs ?? 0) > 0) {
          // Paced frames keep their order: each leaves paceMs after the one before.
          const now = performance.now();
          nextAt = Math.max(now, nextAt) + (c.paceMs ?? 0);
          setTimeout(emit, nextAt - now);
        } else if (this.random() < c.delay) {
          this.stats.delayed++;
          setTimeout(emit, c.delayMs);
        } else emit();
      }
    });
  }
}
