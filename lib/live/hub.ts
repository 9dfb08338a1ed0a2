/**
 * The snapshot hub: the pipeline publishes the latest snapshot; each dashboard client gets a
 * Server-Sent Events stream that sends it the newest snapshot whenever it is ready to take
 * one. Nothing is queued per client: a slow client skips the snapshots it could not take
 * (it gets the latest, never a backlog), and publishing never waits for a client.
 */

/** What the hub needs of a snapshot: a version that grows with every publish. */
export interface Versioned {
  version: number;
}

const encoder = new TextEncoder();

/** Formats one SSE message; `data` may span lines. */
export function sseMessage(event: string, data: string, id?: number): string {
  const lines = data.split(/\r?\n/).map((l) => `data: ${l}`).join("\n");
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\n${lines}\n\n`;
}

/** Options of a {@link SnapshotHub}. */
export interface HubOptions<S> {
  /** The SSE `data` of a snapshot (computed once per snapshot, on first demand). */
  encode: (snapshot: S) => string;
  /** Milliseconds between keep-alive comments on an idle stream (default 15 s). */
  keepAliveMs?: number;
}

/** Holds the latest snapshot and streams it to any number of clients. */
export class SnapshotHub<S extends Versioned> {
  #opts: HubOptions<S>;
  #latest: { snapshot: S; payload?: string } | undefined;
  #waiters = new Set<() => void>();
  #clients = 0;
  #closed = false;
  #sent = 0;

  /** Creates an empty hub. */
  constructor(opts: HubOptions<S>) {
    this.#opts = opts;
  }

  /** The latest snapshot published, if any. */
  get latest(): S | undefined {
    return this.#latest?.snapshot;
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients;
  }

  /** Snapshot messages written to clients so far (all clients together). */
  get sent(): number {
    return this.#sent;
  }

  /** Makes `snapshot` the latest and wakes the clients waiting for one; never blocks. */
  publish(snapshot: S): void {
    this.#latest = { snapshot };
    this.#wakeAll();
  }

  /** Ends every stream once it has sent the latest snapshot (then an `end` event). */
  close(): void {
    this.#closed = true;
    this.#wakeAll();
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #payload(): string {
    const latest = this.#latest!;
    return latest.payload ??= this.#opts.encode(latest.snapshot);
  }

  /** A new client's SSE stream; it ends when the hub closes or the client goes away. */
  stream(): ReadableStream<Uint8Array> {
    let sentVersion = -1;
    let gone = false;
    let wake: (() => void) | undefined;
    const keepAliveMs = this.#opts.keepAliveMs ?? 15_000;
    this.#clients++;
    const leave = () => {
      if (gone) return;
      gone = true;
      this.#clients--;
      const pending = wake;
      if (pending) {
        this.#waiters.delete(pending);
        pending(); // ends the wait and its keep-alive timer
      }
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        // Called only when the client has taken what was sent before (highWaterMark 0).
        for (;;) {
          if (gone) return;
          const latest = this.#latest;
          if (latest && latest.snapshot.version !== sentVersion) {
            sentVersion = latest.snapshot.version;
            this.#sent++;
            controller.enqueue(
              encoder.encode(sseMessage("snapshot", this.#payload(), sentVersion)),
            );
            return;
          }
          if (this.#closed) {
            controller.enqueue(encoder.encode(sseMessage("end", "stopped")));
            controller.close();
            leave();
            return;
          }
          const keptAlive = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), keepAliveMs);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
            this.#waiters.add(wake);
          });
          if (wake) this.#waiters.delete(wake);
          wake = undefined;
          if (keptAlive && !gone) {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
            return;
          }
        }
      },
      cancel: () => leave(),
    }, { highWaterMark: 0 });
  }
}
