/**
 * Where an update's time and memory go: with `runUpdate({ profile: true })` every
 * phase of every dataset (listing files, reading sources, the query, expectations,
 * quarantine, deduplication, the insert, checkpoints, the event log, the commit)
 * is timed, with the process's resident memory at its end, and every SQL
 * statement the update runs is timed and attributed to its phase.
 */
import type { DuckDBConnection } from "../db.ts";

/** One phase of one dataset (or of the update, dataset `""`). */
export interface PhaseTiming {
  dataset: string;
  phase: string;
  /** Wall time from the phase's start to the next phase's start. */
  seconds: number;
  /** Seconds of that spent in DuckDB statements. */
  sqlSeconds: number;
  /**
   * CPU seconds (user + system, all threads) the process used in the phase: on a busy
   * machine a steadier measure of the phase's work than wall time (Linux; NaN elsewhere).
   */
  cpuSeconds: number;
  /** Statements run in the phase. */
  statements: number;
  /** Resident memory of the process when the phase ended, MiB (Linux; NaN elsewhere). */
  rssMiB: number;
}

/** One timed SQL statement. */
export interface StatementTiming {
  dataset: string;
  phase: string;
  /** The statement's text, whitespace collapsed, cut at 160 characters. */
  sql: string;
  seconds: number;
}

/** The profile of one update: phases in order, and its slowest statements (at most 40). */
export interface UpdateProfile {
  phases: PhaseTiming[];
  slowest: StatementTiming[];
}

function cpuNow(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssMiB(): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Collects phase and statement timings of one update. */
export class Profiler {
  readonly phases: PhaseTiming[] = [];
  readonly statements: StatementTiming[] = [];
  #current: PhaseTiming | undefined;
  #started = 0;
  #cpu = 0;

  /** Ends the current phase and starts `phase` of `dataset`. */
  phase(dataset: string, phase: string): void {
    this.end();
    this.#current = {
      dataset,
      phase,
      seconds: 0,
      sqlSeconds: 0,
      cpuSeconds: 0,
      statements: 0,
      rssMiB: NaN,
    };
    this.#started = performance.now();
    this.#cpu = cpuNow();
  }

  /** Ends the current phase (if any). */
  end(): void {
    const p = this.#current;
    if (!p) return;
    p.seconds = (performance.now() - this.#started) / 1000;
    p.cpuSeconds = +(cpuNow() - this.#cpu).toFixed(2);
    p.rssMiB = rssMiB();
    this.phases.push(p);
    this.#current = undefined;
  }

  /** Times `fn` as one statement of the current phase. */
  async statement<T>(sql: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      const p = this.#current;
      if (p) {
        p.sqlSeconds += seconds;
        p.statements++;
      }
      this.statements.push({
        dataset: p?.dataset ?? "",
        phase: p?.phase ?? "",
        sql: sql.replace(/\s+/g, " ").trim().slice(0, 160),
        seconds,
      });
    }
  }

  /** A connection whose `run` and `runAndReadAll` are timed as statements of the current phase. */
  wrap(conn: DuckDBConnection): DuckDBConnection {
    return new Proxy(conn, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "run" || prop === "runAndReadAll") {
          return (sql: string, ...rest: unknown[]) =>
            this.statement(sql, () => value.call(target, sql, ...rest));
        }
        return value.bind(target);
      },
    });
  }

  /** The collected profile (ends the current phase). */
  result(): UpdateProfile {
    this.end();
    const slowest = [...this.statements].sort((a, b) => b.seconds - a.seconds).slice(0, 40);
    return { phases: [...this.phases], slowest };
  }
}

/** The profile as text: one line per phase (time, share of SQL, memory), then the slowest SQL. */
export function formatProfile(p: UpdateProfile): string {
  const lines = p.phases.map((x) =>
    `${(x.dataset || "(update)").padEnd(18)} ${x.phase.padEnd(22)} ${
      x.seconds.toFixed(3).padStart(8)
    } s  cpu ${x.cpuSeconds.toFixed(2).padStart(7)} s  sql ${
      x.sqlSeconds.toFixed(3).padStart(8)
    } s  ${String(x.statements).padStart(4)} stmts  rss ${String(x.rssMiB).padStart(6)} MiB`
  );
  lines.push("slowest statements:");
  for (const s of p.slowest.slice(0, 12)) {
    lines.push(`  ${s.seconds.toFixed(3).padStart(8)} s  ${s.dataset}/${s.phase}: ${s.sql}`);
  }
  return lines.join("\n");
}
