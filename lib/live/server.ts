/**
 * The dashboard server (`Deno.serve`, bound to 127.0.0.1 unless another address is asked
 * for): `/` is the page for the latest snapshot, `/events` its Server-Sent Events stream,
 * `/snapshot.json` the latest snapshot as data. It reads snapshots from a hub only.
 */
import { SnapshotHub } from "./hub.ts";
import { dashboardHtml, dashboardPayload } from "./page.ts";
import type { LiveSnapshot } from "./snapshot.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where to listen. */
export interface ListenAddress {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
}

/** Parses `127.0.0.1:8787`, `:8787`, `8787` or `localhost:0` (default host 127.0.0.1). */
export function parseListen(value: string, flag = "--serve"): ListenAddress {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`${flag}: "${value}" is not an address (e.g. 127.0.0.1:8787 or 8787)`);
  }
  return { hostname: m[1] || "127.0.0.1", port };
}

/** A running dashboard server. */
export interface Dashboard {
  /** The page's URL. */
  url: string;
  hub: SnapshotHub<LiveSnapshot>;
  /** Ends the event streams (after their latest snapshot) and stops listening. */
  close(): Promise<void>;
}

/** Starts the dashboard server on `address`, serving the hub's snapshots. */
export function serveDashboard(
  address: ListenAddress,
  hub: SnapshotHub<LiveSnapshot> = new SnapshotHub({ encode: dashboardPayload }),
): Promise<Dashboard> {
  const { promise, resolve, reject } = Promise.withResolvers<Dashboard>();
  const handler = (req: Request): Response => {
    const path = new URL(req.url).pathname;
    const latest = hub.latest;
    if (req.method !== "GET") return new Response("method not allowed\n", { status: 405 });
    if (path === "/events") {
      return new Response(hub.stream(), {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          "x-accel-buffering": "no",
        },
      });
    }
    if (path === "/snapshot.json") {
      return Response.json(latest ?? null, { headers: { "cache-control": "no-store" } });
    }
    if (path === "/" || path === "/index.html") {
      return new Response(dashboardHtml(latest, { live: true }), {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    return new Response("not found\n", { status: 404 });
  };
  try {
    const server = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      onListen: (addr) => {
        const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        resolve({
          url: `http://${host}:${addr.port}/`,
          hub,
          close: async () => {
            hub.close();
            // Let the streams send their last snapshot and end (a stuck client: 1 s at most).
            const until = Date.now() + 1000;
            while (hub.clients > 0 && Date.now() < until) await sleep(20);
            let timer: ReturnType<typeof setTimeout> | undefined;
            await Promise.race([
              server.shutdown(),
              new Promise((r) => timer = setTimeout(r, 1000)),
            ]);
            clearTimeout(timer);
          },
        });
      },
      onError: (e) => {
        console.error(`dashboard: ${e instanceof Error ? e.message : String(e)}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, handler);
  } catch (e) {
    reject(
      new Error(
        `--serve: cannot listen on ${address.hostname}:${address.port}: ${
          e instanceof Error ? e.message : String(e)
        }`,
        { cause: e },
      ),
    );
  }
  return promise;
}
