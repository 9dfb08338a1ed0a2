/**
 * The trigger loop of a continuous run: new files landing call `notify()`, and the loop
 * runs one cycle (a dataflow update, then scoring) for whatever has landed since the
 * last one. Cycles never overlap, start at most once per interval, and any number of
 * notifications while a cycle runs or waits are coalesced into the next single cycle.
 */

/** Options of a {@link TriggerLoop}. */
export interface TriggerOptions {
  /** Least time between the starts of two cycles, in milliseconds. */
  intervalMs: number;
  /** One cycle; the loop awaits it before it considers the next. */
  cycle: () => Promise<void>;
  /** Called with a cycle's error (the loop goes on); default: rethrown by {@link TriggerLoop.stop}. */
  onError?: (error: unknown) => void;
}

/** Runs cycles when notified, one at a time, at most one per interval. */
export class TriggerLoop {
  #opts: TriggerOptions;
  #pending = false;
  #stopped = false;
  #draining = false;
  #busy = false;
  #lastStart = -Infinity;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #error: unknown;
  #cycles = 0;

  /** Creates the loop; nothing runs before {@link start}. */
  constructor(opts: TriggerOptions) {
    if (!(opts.intervalMs >= 0)) throw new Error(`trigger interval must be >= 0 ms`);
    this.#opts = opts;
  }

  /** Cycles completed (or failed) so far. */
  get cycles(): number {
    return this.#cycles;
  }

  /** Whether a cycle is running now. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Whether new data waits for a cycle. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Says that new input has landed: a cycle will run for it (one for any number of calls). */
  notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** Starts the loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Stops the loop and waits for a running cycle to end. With `drain`, a cycle for input
   * notified before this call still runs (respecting the interval) before the loop ends;
   * without, no cycle starts after this call. Throws the first cycle error when there is
   * no `onError`.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain) this.#draining = true;
    else this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (this.#error !== undefined) throw this.#error;
  }

  async #sleep(ms: number, untilNotified: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = untilNotified ? done : () => this.#stopped && done();
    });
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#pending) {
        if (this.#draining) break;
        await this.#sleep(Infinity, true);
        continue;
      }
      const wait = this.#lastStart + this.#opts.intervalMs - performance.now();
      if (wait > 0) {
        await this.#sleep(wait, false);
        continue;
      }
      this.#pending = false;
      this.#lastStart = performance.now();
      this.#busy = true;
      try {
        await this.#opts.cycle();
      } catch (e) {
        if (this.#opts.onError) this.#opts.onError(e);
        else {
          this.#error ??= e;
          this.#stopped = true;
        }
      } finally {
        this.#busy = false;
        this.#cycles++;
      }
    }
  }
}
