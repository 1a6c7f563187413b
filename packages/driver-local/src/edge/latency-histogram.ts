/** Longest duration kept apart (an hour: `timeout tunnel`); longer ones count as this. */
export const MAX_MS = 3_600_000;

// Log-linear buckets, the layout of an HDR histogram with 2 significant digits: every ms is its
// own bucket below 256 ms, then 128 buckets per power of two (within 0.8%) up to 2^22 ms.
// 2,048 counters (8 KB) per server; recording is a shift and an increment, with no allocation.
const EXACT = 256;
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const BUCKETS = EXACT + (22 - 8) * SUB;

function bucketOf(ms: number): number {
  if (ms < EXACT) return ms;
  const octave = 31 - Math.clz32(ms); // 8 … 21
  return EXACT + (octave - 8) * SUB + (ms >>> (octave - SUB_BITS)) - SUB;
}

/** The largest value a bucket holds: percentiles err on the slow side, as HDR's do. */
function highestIn(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const octave = 8 + Math.floor((bucket - EXACT) / SUB);
  const width = 1 << (octave - SUB_BITS);
  return (SUB + ((bucket - EXACT) % SUB)) * width + width - 1;
}

/** Whole milliseconds; answers percentiles the way HDR histograms do (nearest rank). */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(ms: number): void {
    const v = Math.min(ms, MAX_MS);
    const b = bucketOf(v);
    this.counts[b] = (this.counts[b] ?? 0) + 1;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Samples slower than `ms` (by bucket: within the histogram's precision above 256 ms). */
  slowerThan(ms: number): number {
    let n = 0;
    for (let b = 0; b < BUCKETS; b++) if (highestIn(b) > ms) n += this.counts[b] ?? 0;
    return n;
  }

  /** The value at or below which `percent` of the samples fall; 0 when empty. */
  percentile(percent: number): number {
    // The small subtraction keeps 99% of 100 samples at rank 99 despite floating point.
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count - 1e-9));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] ?? 0;
      if (seen >= rank) return Math.min(highestIn(b), this.max);
    }
    return 0;
  }
}
