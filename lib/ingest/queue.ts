/** A hand-off between a live connection (push) and the ingest loop (async iteration). */

/** Items pushed by callbacks, taken in batches by one consumer; `end` finishes it. */
export class EventQueue<T> {
  #items: T[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  /** Adds an item (ignored once ended). */
  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#wake?.();
  }

  /** Ends the queue; the consumer gets what is queued, then `error` (if any) is thrown. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wake?.();
  }

  /** Whether `end` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Yields everything queued so far, batch by batch, until the queue ends. */
  async *batches(): AsyncGenerator<T[]> {
    for (;;) {
      if (this.#items.length) {
        const out = this.#items;
        this.#items = [];
        yield out;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

/** Waits `ms` milliseconds, or less if `signal` is aborted first. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish);
  });
}
