/**
 * Seeded, stateless randomness: a value is a hash of (seed, stream, tick), so what a sensor
 * or an input shows at a simulated instant does not depend on how often anyone looked.
 */
export class SeededNoise {
  private readonly seed: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError('the simulator seed must be a finite number');
    this.seed = mix32((Math.trunc(seed) >>> 0) ^ 0x9e3779b9);
  }

  /** A uniform value in [0, 1) for a stream (e.g. a sensor id) at an integer tick. */
  unit(stream: number, tick: number): number {
    let h = mix32(this.seed ^ stream);
    h = mix32(h ^ (tick >>> 0));
    h = mix32(h ^ (Math.floor(tick / 0x1_0000_0000) >>> 0));
    return h / 0x1_0000_0000;
  }

  /** A uniform value in [-halfWidth, +halfWidth]. */
  symmetric(stream: number, tick: number, halfWidth: number): number {
    return (this.unit(stream, tick) * 2 - 1) * halfWidth;
  }
}

/** A stable 32-bit number for a name (FNV-1a), to use as a stream. */
export function streamOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// The "lowbias32" finaliser: every input bit affects every output bit.
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
