/**
 * Progress lines for long steps: rewritten in place on a TTY, silent in CI or
 * when stderr is not a terminal.
 */

/** A progress reporter; `update` is throttled, `done` prints the final line. */
export interface Progress {
  update(line: string): void;
  done(line?: string): void;
}

const encoder = new TextEncoder();

/** Whether progress should be drawn (stderr is a TTY and `CI` is not set). */
export function interactive(): boolean {
  return Deno.stderr.isTerminal() && !Deno.env.get("CI");
}

/** Creates a progress reporter that redraws at most every `intervalMs`. */
export function progress(label: string, intervalMs = 200): Progress {
  const on = interactive();
  let last = 0;
  let shown = false;
  return {
    update(line) {
      if (!on) return;
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      shown = true;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${label}: ${line}`));
    },
    done(line) {
      if (shown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
      if (line !== undefined && on) Deno.stderr.writeSync(encoder.encode(`${label}: ${line}\n`));
    },
  };
}
