/**
 * A loopback Bluesky Jetstream: a WebSocket `/subscribe` endpoint that replays a fixed,
 * time-ordered list of events from the requested `cursor` (time_us), and drops each
 * connection after a planned number of events.
 */

/** A running Jetstream test server. */
export interface JetstreamTestServer {
  /** `ws://127.0.0.1:<port>/subscribe`. */
  url: string;
  /** Each connection's query (cursor, wantedCollections). */
  connections: URLSearchParams[];
  /** Stops the server and closes open sockets. */
  close(): Promise<void>;
}

/** Makes a post commit event at `timeUs`. */
export function postEvent(
  timeUs: number,
  text: string,
  did = "did:plc:test",
): Record<string, unknown> {
  return {
    did,
    time_us: timeUs,
    kind: "commit",
    commit: {
      rev: `rev${timeUs}`,
      operation: "create",
      collection: "app.bsky.feed.post",
      rkey: `rk${timeUs}`,
      record: {
        $type: "app.bsky.feed.post",
        createdAt: new Date(timeUs / 1000).toISOString(),
        langs: ["en"],
        text,
      },
      cid: `bafy${timeUs}`,
    },
  };
}

/** Makes an identity event (Jetstream sends these whatever the collection filter). */
export function identityEvent(timeUs: number, did = "did:plc:test"): Record<string, unknown> {
  return {
    did,
    time_us: timeUs,
    kind: "identity",
    identity: { did, handle: "test.bsky.social", seq: 1, time: "" },
  };
}

/**
 * Starts the server. `events` are sent in order (as JSON text); connection `i` sends at most
 * `dropAfter[i]` events then closes; later connections stay open after sending everything.
 */
export function startJetstreamServer(opts: {
  events: Record<string, unknown>[];
  dropAfter?: number[];
}): Promise<JetstreamTestServer> {
  const drops = [...(opts.dropAfter ?? [])];
  const connections: URLSearchParams[] = [];
  const sockets = new Set<WebSocket>();
  const handler = (req: Request): Response => {
    const url = new URL(req.url);
    if (url.pathname !== "/subscribe") return new Response("not found", { status: 404 });
    connections.push(url.searchParams);
    const { socket, response } = Deno.upgradeWebSocket(req);
    const cursor = Number(url.searchParams.get("cursor") ?? 0);
    const limit = drops.shift();
    sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onopen = async () => {
      let n = 0;
      for (const e of opts.events) {
        if ((e.time_us as number) < cursor) continue;
        if (limit !== undefined && n >= limit) break;
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify(e));
        n++;
        if (n % 5 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      if (limit !== undefined) socket.close(1011, "test drop");
    };
    return response;
  };
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) =>
        resolve({
          url: `ws://127.0.0.1:${port}/subscribe`,
          connections,
          close: async () => {
            const closing = [...sockets].map((s) =>
              new Promise<void>((r) => {
                s.addEventListener("close", () => r());
                s.close();
              })
            );
            await Promise.all(closing);
            await server.shutdown();
          },
        }),
    }, handler);
  });
}
