/**
 * A loopback server speaking the X API v2 filtered-stream and rules endpoints, for driving
 * the real twitter-api-v2 client in tests. Each stream connection follows the next step of
 * a plan: an HTTP error (401, 403, 429 with reset headers, 503), no answer at all, or events
 * sent as `\r\n`-separated chunks with keep-alives, then a drop or a hang.
 */

/** What one stream connection does. */
export type StreamStep =
  | { status: 401 | 403 | 500 | 503 }
  | { status: 429; resetInSeconds: number }
  /** Accept the request and never answer it (not even a status line). */
  | { silent: true }
  | {
    /** Event lines to send, each followed by `\r\n`. */
    events: string[];
    /** Send a keep-alive `\r\n` before each event. */
    keepAlive?: boolean;
    /** Split each event into pieces of this many bytes (cuts UTF-8 characters apart). */
    pieceBytes?: number;
    /** After the events: close the connection (default) or keep it open, silent. */
    then?: "drop" | "hang";
  };

/** A stored stream rule. */
export interface ServerRule {
  id: string;
  value: string;
  tag?: string;
}

/** A running X test server. */
export interface XTestServer {
  /** `http://127.0.0.1:<port>`: pass as `apiBaseUrl`. */
  baseUrl: string;
  /** The bearer token it accepts. */
  token: string;
  /** The rules on the stream now. */
  rules: ServerRule[];
  /** Stream connections so far: time (ms since epoch) and query string. */
  connections: { at: number; query: URLSearchParams }[];
  /** Event lines written to a stream (complete, as sent). */
  sent: string[];
  /** Resolves when every step of the plan has started and its events are sent. */
  planDone: Promise<void>;
  /** Stops the server, closing open streams. */
  close(): Promise<void>;
}

const enc = new TextEncoder();

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Starts the server with an initial set of rules and a plan of stream connections. */
export function startXServer(opts: {
  token?: string;
  rules?: ServerRule[];
  plan: StreamStep[];
}): Promise<XTestServer> {
  const token = opts.token ?? "test-bearer-token";
  const rules = [...(opts.rules ?? [])];
  const plan = [...opts.plan];
  const connections: XTestServer["connections"] = [];
  const sent: string[] = [];
  const open = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const unanswered = new Set<() => void>();
  let nextId = 1700000000000000000n;
  let planDoneResolve!: () => void;
  const planDone = new Promise<void>((r) => (planDoneResolve = r));
  let stepsLeft = plan.length;
  const stepFinished = () => {
    if (--stepsLeft === 0) planDoneResolve();
  };

  const streamStep = (
    step: StreamStep | undefined,
    signal: AbortSignal,
  ): Response | Promise<Response> => {
    if (!step) return new Response(new ReadableStream({ start: (c) => void open.add(c) }));
    if ("silent" in step) {
      stepFinished();
      // answered only once the client has gone or the server closes, so shutdown can finish
      return new Promise((resolve) => {
        const done = () => {
          unanswered.delete(done);
          resolve(new Response(null, { status: 503 }));
        };
        unanswered.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
    if ("status" in step) {
      stepFinished();
      if (step.status === 429) {
        const reset = Math.ceil(Date.now() / 1000 + step.resetInSeconds);
        return json(429, { title: "Too Many Requests", detail: "Too Many Requests", status: 429 }, {
          "x-rate-limit-limit": "50",
          "x-rate-limit-remaining": "0",
          "x-rate-limit-reset": String(reset),
        });
      }
      const titles: Record<number, string> = {
        401: "Unauthorized",
        403: "Client Forbidden",
        500: "Internal Server Error",
        503: "Service Unavailable",
      };
      const title = titles[step.status];
      return json(step.status, { title, detail: `test ${step.status}`, status: step.status });
    }
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        ctl = c;
        open.add(c);
      },
      cancel() {
        open.delete(ctl);
      },
    });
    (async () => {
      const pause = () => new Promise((r) => setTimeout(r, 5));
      try {
        for (const line of step.events) {
          if (step.keepAlive) {
            ctl.enqueue(enc.encode("\r\n"));
            await pause();
          }
          const bytes = enc.encode(line + "\r\n");
          const size = step.pieceBytes ?? bytes.length;
          for (let i = 0; i < bytes.length; i += size) {
            ctl.enqueue(bytes.slice(i, i + size));
            await pause();
          }
          sent.push(line);
        }
        await pause();
        if (step.then !== "hang") {
          open.delete(ctl);
          ctl.close();
        }
      } catch { /* the client went away */ }
      stepFinished();
    })();
    return new Response(body, { headers: { "content-type": "application/json" } });
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return json(401, {
        title: "Unauthorized",
        type: "about:blank",
        status: 401,
        detail: "Unauthorized",
      });
    }
    if (url.pathname === "/2/tweets/search/stream" && req.method === "GET") {
      connections.push({ at: Date.now(), query: url.searchParams });
      return streamStep(plan.shift(), req.signal);
    }
    if (url.pathname === "/2/tweets/search/stream/rules") {
      const meta = { sent: new Date().toISOString() };
      if (req.method === "GET") {
        return json(
          200,
          rules.length ? { data: rules, meta: { ...meta, result_count: rules.length } } : {
            meta: { ...meta, result_count: 0 },
          },
        );
      }
      const body = await req.json();
      if (body.add) {
        const created: ServerRule[] = [];
        const errors: unknown[] = [];
        for (const r of body.add as { value: string; tag?: string }[]) {
          if (r.value.includes("INVALID")) {
            errors.push({
              value: r.value,
              details: ["Reference to invalid operator 'INVALID'"],
              title: "UnprocessableEntity",
              type: "https://api.twitter.com/2/problems/invalid-rules",
            });
          } else {
            const rule = { id: String(nextId++), ...r };
            rules.push(rule);
            created.push(rule);
          }
        }
        const summary = {
          created: created.length,
          not_created: errors.length,
          valid: created.length,
          invalid: errors.length,
        };
        return json(200, {
          data: created,
          meta: { ...meta, summary },
          ...(errors.length ? { errors } : {}),
        });
      }
      if (body.delete) {
        const ids = new Set<string>(body.delete.ids);
        const before = rules.length;
        for (let i = rules.length - 1; i >= 0; i--) if (ids.has(rules[i].id)) rules.splice(i, 1);
        return json(200, {
          meta: { ...meta, summary: { deleted: before - rules.length, not_deleted: 0 } },
        });
      }
      return json(400, { title: "Invalid Request" });
    }
    return json(404, { title: "Not Found" });
  };

  return new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          resolve({
            baseUrl: `http://127.0.0.1:${port}`,
            token,
            rules,
            connections,
            sent,
            planDone: stepsLeft === 0 ? Promise.resolve() : planDone,
            close: async () => {
              for (const c of open) {
                try {
                  c.close();
                } catch { /* already closed */ }
              }
              open.clear();
              for (const answer of [...unanswered]) answer();
              await server.shutdown();
            },
          }),
      },
      handler,
    );
  });
}
