/**
 * Freshness of a continuous run: the time from an event's arrival at ingest to its
 * sentiment row being committed. The tracker notes when each post id arrives (the id
 * silver gives it: X `data.id`, a flat tweet's `id`, Jetstream `did/rkey`) and, when
 * scores are committed, turns their ids and commit times into latencies.
 */

/** Latency figures in milliseconds. */
export interface LatencyStats {
  /** Events measured. */
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** The `q` quantile (0..1) of sorted numbers (nearest rank); NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** p50 / p95 / max of `values` (any order). */
export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

const decoder = new TextDecoder();

/** The silver id of one raw event line, or undefined (malformed, or a shape without an id). */
export function postId(line: Uint8Array): string | undefined {
  let e: unknown;
  try {
    e = JSON.parse(decoder.decode(line));
  } catch {
    return undefined;
  }
  if (!e || typeof e !== "object") return undefined;
  const o = e as {
    data?: { id?: unknown };
    id?: unknown;
    did?: unknown;
    commit?: { rkey?: unknown };
  };
  if (o.data && o.data.id != null) return String(o.data.id);
  if (typeof o.did === "string" && o.commit?.rkey != null) return `${o.did}/${o.commit.rkey}`;
  if (o.id != null) return String(o.id);
  return undefined;
}

/** Latencies kept for {@link ArrivalTracker.overall} (the most recent ones). */
const KEEP = 1_000_000;

/** Arrival times of post ids, and the latencies of those scored since. */
export class ArrivalTracker {
  /** id → arrival (epoch ms); insertion order is arrival order. */
  #arrived = new Map<string, number>();
  #all: number[] = [];
  #newest: { id: string; arrivedAt: number; committedAt: number } | undefined;

  /** Notes the arrival of raw event lines at `at` (epoch ms); returns how many carried an id. */
  arrive(lines: readonly Uint8Array[], at: number = Date.now()): number {
    let n = 0;
    for (const line of lines) {
      const id = postId(line);
      if (id === undefined || this.#arrived.has(id)) continue;
      this.#arrived.set(id, at);
      n++;
    }
    return n;
  }

  /** Ids waiting for their score. */
  get waiting(): number {
    return this.#arrived.size;
  }

  /**
   * Records committed scores (id and commit time, epoch ms); returns the latencies of the
   * ids this tracker saw arrive (others, e.g. from before this run, are not counted).
   */
  committed(rows: readonly { id: string; at: number }[]): number[] {
    const out: number[] = [];
    for (const { id, at } of rows) {
      const arrivedAt = this.#arrived.get(id);
      if (arrivedAt === undefined) continue;
      this.#arrived.delete(id);
      out.push(at - arrivedAt);
      if (!this.#newest || arrivedAt >= this.#newest.arrivedAt) {
        this.#newest = { id, arrivedAt, committedAt: at };
      }
    }
    for (const v of out) this.#all.push(v);
    if (this.#all.length > KEEP) this.#all.splice(0, this.#all.length - KEEP);
    return out;
  }

  /** The most recently arrived event that has been scored, if any. */
  get newestScored(): { id: string; arrivedAt: number; committedAt: number } | undefined {
    return this.#newest;
  }

  /** Latencies of everything measured so far (the last million). */
  overall(): LatencyStats {
    return latencyStats(this.#all);
  }

  /**
   * Forgets ids that arrived before `before` (epoch ms) and were never scored (posts the
   * dataflow drops: other languages, no id, empty text); returns how many.
   */
  forgetBefore(before: number): number {
    let n = 0;
    for (const [id, at] of this.#arrived) {
      if (at >= before) break;
      this.#arrived.delete(id);
      n++;
    }
    return n;
  }
}
