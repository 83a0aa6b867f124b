import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';

/** One pass of ds18b20-raspi over some sensors. */
export interface Ds18b20Driver {
  /** °C per id, in the order asked, or null where ds18b20-raspi found no temperature. Rejects if the pass failed. */
  readC(w1Directory: string, ids: readonly string[]): Promise<Array<number | null>>;
  close(): void;
}

/** The driver did not answer in time: on a Pi, a hung 1-wire bus. */
export class W1TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer from the 1-wire driver in ${ms} ms`);
    this.name = 'W1TimeoutError';
  }
}

/** The driver's thread failed or was closed with reads in flight. */
export class W1DriverError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'W1DriverError';
  }
}

// ds18b20-raspi reads w1_slave with readFileSync, and on a Pi the kernel runs a 750 ms
// conversion inside that read, so on the main thread every sensor would stall the control loop,
// the ws link and the watchdog. The package therefore runs in a worker thread. Its
// setW1Directory is module state, so the directory is set before each pass.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ds18b20 = require(workerData.modulePath);
parentPort.postMessage({ ready: true });
parentPort.on('message', (req) => {
  let reply;
  try {
    ds18b20.setW1Directory(req.dir);
    const values = req.ids.map((id) => {
      const t = ds18b20.readC(id, 4);
      return typeof t === 'number' && Number.isFinite(t) ? t : null;
    });
    reply = { seq: req.seq, values };
  } catch (err) {
    reply = { seq: req.seq, error: String((err && err.message) || err) };
  }
  parentPort.postMessage(reply);
});
`;

const WorkerReply = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ seq: z.number().int(), values: z.array(z.number().nullable()) }),
  z.object({ seq: z.number().int(), error: z.string() }),
]);

interface Pending {
  count: number;
  resolve(values: Array<number | null>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface WorkerDs18b20DriverOptions {
  /** Time allowed per sensor in a pass (a 12-bit conversion takes 750 ms). */
  timeoutPerSensorMs: number;
}

/**
 * ds18b20-raspi in a worker thread, started on the first read. A pass that overruns its time
 * is failed and the thread is dropped, so the next pass gets a fresh one rather than queueing
 * behind a hung bus.
 */
export class WorkerDs18b20Driver implements Ds18b20Driver {
  private worker: Worker | undefined;
  /** Settles when the current worker has loaded the package; start-up does not count against a pass's time. */
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WorkerDs18b20DriverOptions) {}

  readC(w1Directory: string, ids: readonly string[]): Promise<Array<number | null>> {
    // One pass at a time, so a pass's clock starts when the thread takes it up, not while it
    // waits behind another.
    const pass = this.tail.then(() => this.pass(w1Directory, [...ids]));
    this.tail = pass.catch(() => undefined);
    return pass;
  }

  private async pass(w1Directory: string, ids: string[]): Promise<Array<number | null>> {
    if (this.closed) throw new W1DriverError('1-wire driver is closed');
    if (ids.length === 0) return [];
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (err) {
      throw new W1DriverError(`cannot start ds18b20-raspi: ${(err as Error).message}`, { cause: err });
    }
    const seq = ++this.seq;
    const ms = this.options.timeoutPerSensorMs * ids.length;
    return new Promise((resolve, reject) => {
      const pending: Pending = { count: ids.length, resolve, reject, timer: undefined };
      this.pending.set(seq, pending);
      worker.postMessage({ seq, dir: w1Directory, ids });
      void this.ready.then(() => {
        if (this.pending.get(seq) !== pending) return;
        pending.timer = setTimeout(() => {
          this.pending.delete(seq);
          reject(new W1TimeoutError(ms));
          // A thread stuck in a kernel read cannot take more work; later passes get a new one.
          this.dropWorker(worker, new W1DriverError('1-wire driver restarted after a timeout'));
        }, ms);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.worker) this.dropWorker(this.worker, new W1DriverError('1-wire driver closed'));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const modulePath = createRequire(import.meta.url).resolve('ds18b20-raspi');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath } });
    worker.unref();
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    worker.on('message', (message: unknown) => this.onReply(worker, message));
    worker.on('error', (err) => this.dropWorker(worker, new W1DriverError(`1-wire driver thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.dropWorker(worker, new W1DriverError(`1-wire driver thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(worker: Worker, message: unknown): void {
    const parsed = WorkerReply.safeParse(message);
    if (!parsed.success) return; // Only this file's worker posts here; a malformed reply times out.
    const reply = parsed.data;
    if ('ready' in reply) {
      if (worker === this.worker) this.markReady();
      return;
    }
    const p = this.pending.get(reply.seq);
    if (!p) return; // Already timed out.
    this.pending.delete(reply.seq);
    clearTimeout(p.timer);
    if ('error' in reply) p.reject(new W1DriverError(`ds18b20-raspi failed: ${reply.error}`));
    else if (reply.values.length !== p.count) p.reject(new W1DriverError(`ds18b20-raspi answered ${reply.values.length} of ${p.count} sensors`));
    else p.resolve(reply.values);
  }

  /** Fails every read in flight on this worker and lets it go. */
  private dropWorker(worker: Worker, reason: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(seq);
    }
    void worker.terminate().catch(() => undefined);
  }
}
