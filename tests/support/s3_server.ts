/**
 * A real S3-protocol server for tests (`npm:fauxqs`, in process, on 127.0.0.1, port 0),
 * with a bucket ready and switches to make it fail requests. Use `env` (AWS_* variables)
 * or `options` with `openLake`.
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { buildApp } from "fauxqs";
import type { S3LakeOptions } from "../../lib/lake/s3.ts";

/** A running test S3 server. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Standard AWS variables for a subprocess or `Deno.env`: endpoint, region, keys. */
  env: Record<string, string>;
  /** Options for `openLake(url, options)` / `s3Lake`. */
  options: S3LakeOptions;
  /** `s3://<bucket>/<prefix>`. */
  url(prefix?: string): string;
  /** Makes the next `n` requests fail with 503. */
  failNext(n: number): void;
  /** While down, every request fails with 503. */
  setDown(down: boolean): void;
  /** While denied, every request fails with 403 AccessDenied. */
  setDenied(denied: boolean): void;
  /** Requests seen so far (method and path), including failed ones. */
  readonly requests: string[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 with a fresh bucket (`tweetlake-test` by default). */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? "tweetlake-test";
  const region = "us-east-1";
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const app = buildApp({ logger: false });
  let failures = 0;
  let down = false;
  let denied = false;
  const requests: string[] = [];
  app.addHook("onRequest", async (req, reply) => {
    requests.push(`${req.method} ${req.url}`);
    if (denied) {
      return await reply.code(403).header("content-type", "application/xml").send(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>` +
          `<Message>Access Denied</Message></Error>`,
      );
    }
    if (down || failures > 0) {
      if (failures > 0) failures--;
      await reply.code(503).header("content-type", "application/xml").send(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>` +
          `<Message>test server told to fail</Message></Error>`,
      );
    }
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region, endpoint, forcePathStyle: true, credentials });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    bucket,
    region,
    credentials,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    options: { endpoint, region, credentials, forcePathStyle: true },
    url: (prefix = "") => `s3://${bucket}${prefix ? `/${prefix}` : ""}`,
    failNext: (n) => void (failures = n),
    setDown: (d) => void (down = d),
    setDenied: (d) => void (denied = d),
    requests,
    close: async () => {
      await app.close();
    },
  };
}
