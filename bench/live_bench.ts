/**
 * `deno task bench live`: the continuous pipeline end to end. For each rate (default 1,000
 * and 10,000 events/s; `LIVE_BENCH_RATES=1000,5000` to choose), generated X events are
 * replayed for `LIVE_BENCH_SECONDS` (default 60) through
 * `deno task pipeline --continuous --trigger 1s --serve 127.0.0.1:0` in a subprocess, with
 * one dashboard client reading its Server-Sent Events. Reported per rate:
 * - freshness: event arrival at ingest → its sentiment row committed, p50 / p95 / max, over
 *   the whole run and over the first and the last 10 s of updates (a growing backlog shows
 *   as a rising figure);
 * - events/s ingested and scored end to end, updates run, their mean duration;
 * - CPU (user + system seconds of the pipeline process, all threads, per wall second) and
 *   its peak RSS (`/proc/<pid>/status` VmHWM);
 * - dashboard update latency: a snapshot's publication → its arrival at the SSE client.
 */
import { join } from "node:path";
import { makeEvents } from "../tools/make-sample.ts";
import { latencyStats } from "../lib/live/freshness.ts";
import { report } from "./util.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const RATES = (Deno.env.get("LIVE_BENCH_RATES") ?? "1000,10000").split(",").map(Number);
const SECONDS = Number(Deno.env.get("LIVE_BENCH_SECONDS") ?? 60);
const TRIGGER = "1s";

/** user + system CPU seconds and peak RSS (MiB) of a live process, from /proc. */
function procStats(pid: number): { cpu: number; peakMiB: number } | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    if (!hwm) return undefined; // exited (a zombie has no memory figures)
    return {
      cpu: (Number(stat[11]) + Number(stat[12])) / 100,
      peakMiB: Math.round(Number(hwm[1]) / 1024),
    };
  } catch {
    return undefined;
  }
}

async function writeInput(dir: string, events: number): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const per = 50_000;
  for (let first = 0, f = 0; first < events; first += per, f++) {
    const lines = makeEvents(Math.min(per, events - first), undefined, first);
    await Deno.writeTextFile(
      join(dir, `events-${String(f).padStart(4, "0")}.ndjson`),
      lines.join("\n") + "\n",
    );
  }
}

/** Reads SSE snapshots, recording each one's publication → arrival latency. */
async function dashboardClient(url: string, latencies: number[], signal: AbortSignal) {
  try {
    const res = await fetch(new URL("events", url), { signal });
    let buf = "";
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const msg = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = msg.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
          .join("\n");
        if (!/^event: snapshot/m.test(msg) || !data) continue;
        const at = Date.now();
        const published = JSON.parse(data).publishedAt;
        if (typeof published === "number") latencies.push(at - published);
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

async function run(rate: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-live-bench-" });
  try {
    const events = Math.ceil(rate * (SECONDS + 5));
    await writeInput(join(dir, "input"), events);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        CLI,
        "pipeline",
        "--continuous",
        "--json",
        "--input",
        join(dir, "input"),
        "--rate",
        `${rate}/s`,
        "--trigger",
        TRIGGER,
        "--duration",
        `${SECONDS}s`,
        "--serve",
        "127.0.0.1:0",
        "--lake",
        join(dir, "lake"),
        "--db",
        join(dir, "db.duckdb"),
        "--spill",
        join(dir, "spill"),
      ],
      env: { CI: "true" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const dashLatencies: number[] = [];
    const stopClient = new AbortController();
    let client: Promise<void> | undefined;
    const stderr = (async () => {
      let buf = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lines.push(`${Date.now()} ${line}`);
          const m = /^dashboard: (\S+)/.exec(line);
          if (m) client = dashboardClient(m[1], dashLatencies, stopClient.signal);
        }
      }
    })();
    let last = procStats(child.pid);
    const sampler = setInterval(() => {
      last = procStats(child.pid) ?? last;
    }, 250);
    const t0 = Date.now();
    const stdout = new Response(child.stdout).text();
    const { code } = await child.status;
    const wall = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    stopClient.abort();
    await stderr;
    await client;
    if (code !== 0) throw new Error(`pipeline exited ${code}:\n${lines.join("\n")}`);
    const summary = JSON.parse(await stdout);
    // Per-update lines: "update N completed: F file(s), S scored, a s + b s, freshness p95 X s"
    const cycles = lines.map((l) => {
      const m =
        /^(\d+) update \d+ (\w+): (\d+) file\(s\), (\d+) scored, ([\d.]+) s \+ ([\d.]+) s(?:, freshness p95 ([\d.]+) s)?/
          .exec(l);
      return m
        ? {
          at: Number(m[1]),
          files: Number(m[3]),
          scored: Number(m[4]),
          seconds: Number(m[5]) + Number(m[6]),
          p95: m[7] ? Number(m[7]) : undefined,
        }
        : undefined;
    }).filter((c) => c !== undefined);
    const firstAt = cycles.find((c) => c.scored)?.at ?? t0;
    const lastAt = cycles.at(-1)?.at ?? Date.now();
    const window = (from: number, to: number) =>
      cycles.filter((c) => c.at >= from && c.at < to && c.p95 !== undefined).map((c) => c.p95!);
    const early = window(firstAt, firstAt + 10_000);
    const late = window(lastAt - 10_000 - 2_000, lastAt - 2_000); // before the final drain
    const dash = latencyStats(dashLatencies);
    const f = summary.freshnessMs;
    const s = (ms: number) => Math.round(ms) / 1000;
    report("live", {
      rate,
      trigger: TRIGGER,
      seconds: Math.round(summary.seconds * 10) / 10,
      events: summary.events,
      eventsPerSecond: Math.round(summary.events / SECONDS),
      scored: summary.scored,
      scoredPerSecond: Math.round(summary.scored / summary.seconds),
      updates: summary.cycles,
      meanUpdateSeconds: Math.round(
        1000 * cycles.reduce((n, c) => n + c.seconds, 0) / Math.max(1, cycles.length),
      ) / 1000,
      freshnessSeconds: { p50: s(f.p50), p95: s(f.p95), max: s(f.max), n: f.count },
      freshnessP95FirstVsLast10s: [
        early.length ? Math.max(...early) : null,
        late.length ? Math.max(...late) : null,
      ],
      cpuPerWallSecond: last ? Math.round(100 * last.cpu / wall) / 100 : null,
      peakRssMiB: last?.peakMiB ?? null,
      dashboardLatencyMs: { p50: dash.p50, p95: dash.p95, max: dash.max, n: dash.count },
      load: Deno.loadavg().map((x) => Math.round(x * 100) / 100),
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

for (const rate of RATES) await run(rate);
