/**
 * A lake in an S3 bucket (AWS or any S3-compatible endpoint) via `npm:@aws-sdk/client-s3`.
 * A file appears with one PUT, so readers never see part of it. `localPath` stages a copy
 * in a local cache for DuckDB.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { dirname, join } from "node:path";
import { repoPath } from "../config.ts";
import { secret } from "../secrets.ts";
import type { Lake, LakeFile } from "./types.ts";

/** How to reach a bucket; unset fields come from the standard AWS environment variables. */
export interface S3LakeOptions {
  /** Endpoint of an S3-compatible server (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`). */
  endpoint?: string;
  /** Region (`AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`). */
  region?: string;
  /** Path-style addressing (default: on when an endpoint is given, `TWEETLAKE_S3_PATH_STYLE`). */
  forcePathStyle?: boolean;
  /** Keys (default: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from env or `.env`, else the SDK chain: profile, SSO, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where `localPath` stages copies (default `out/s3-cache/<bucket>/<prefix>`). */
  cacheDir?: string;
  /** Tries per request inside the SDK (default 3). */
  maxAttempts?: number;
}

/** Splits `s3://bucket/prefix` into bucket and prefix (no leading or trailing `/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new Error(`not an S3 location (expected s3://bucket/prefix): ${url}`);
  return { bucket: m[1], prefix: m[2].replace(/^\/+|\/+$/g, "") };
}

function clientFor(opts: S3LakeOptions): S3Client {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const endpoint = opts.endpoint ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL");
  const pathStyleEnv = env("TWEETLAKE_S3_PATH_STYLE");
  const forcePathStyle = opts.forcePathStyle ??
    (pathStyleEnv !== undefined ? /^(1|true|yes)$/i.test(pathStyleEnv) : endpoint !== undefined);
  const keyId = secret("AWS_ACCESS_KEY_ID");
  const key = secret("AWS_SECRET_ACCESS_KEY");
  const credentials = opts.credentials ??
    (keyId && key
      ? { accessKeyId: keyId, secretAccessKey: key, sessionToken: secret("AWS_SESSION_TOKEN") }
      : undefined);
  return new S3Client({
    region: opts.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1",
    endpoint,
    forcePathStyle,
    maxAttempts: opts.maxAttempts ?? 3,
    ...(credentials ? { credentials } : {}),
  });
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NoSuchKey" || err?.name === "NotFound" ||
    err?.$metadata?.httpStatusCode === 404;
}

/** Opens the lake at `s3://bucket/prefix`. */
export function s3Lake(url: string, opts: S3LakeOptions = {}): Lake {
  const { bucket, prefix } = parseS3Url(url);
  const client = clientFor(opts);
  const root = prefix ? `${prefix}/` : "";
  const key = (path: string) => root + path.split("/").filter(Boolean).join("/");
  const cacheDir = opts.cacheDir ??
    join(Deno.env.get("TWEETLAKE_S3_CACHE") ?? repoPath("out/s3-cache"), bucket, prefix);
  const where = (path: string) => `s3://${bucket}/${key(path)}`;
  const fail = (what: string, path: string, e: unknown): Error =>
    new Error(`S3 ${what} ${where(path)} failed: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });

  const get = async (path: string): Promise<Uint8Array> => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key(path) }));
      return await out.Body!.transformToByteArray();
    } catch (e) {
      if (isNotFound(e)) throw new Deno.errors.NotFound(`no such file in the lake: ${where(path)}`);
      throw fail("GET", path, e);
    }
  };

  return {
    url: `s3://${bucket}${prefix ? `/${prefix}` : ""}`,
    async put(path, data) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key(path), Body: data }),
        );
      } catch (e) {
        throw fail("PUT", path, e);
      }
    },
    async putIfAbsent(path, data) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key(path), Body: data, IfNoneMatch: "*" }),
        );
        return true;
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata
          ?.httpStatusCode;
        if (status === 412 || status === 409) return false;
        throw fail("PUT", path, e);
      }
    },
    get,
    async list(sub) {
      // A prefix names a folder: `raw/x` lists `raw/x/…`, not `raw/xyz`.
      const p = key(sub);
      const listPrefix = p === root ? root : `${p}/`;
      const out: LakeFile[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: listPrefix,
              ContinuationToken: token,
            }),
          );
        } catch (e) {
          throw fail("LIST", sub, e);
        }
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith("/")) continue;
          out.push({
            path: o.Key.slice(root.length),
            size: o.Size ?? 0,
            mtime: o.LastModified ?? new Date(0),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async localPath(path) {
      const local = join(cacheDir, ...path.split("/").filter(Boolean));
      let size: number | undefined;
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(path) }));
        size = head.ContentLength;
      } catch (e) {
        if (isNotFound(e)) {
          throw new Deno.errors.NotFound(`no such file in the lake: ${where(path)}`);
        }
        throw fail("HEAD", path, e);
      }
      const cached = await Deno.stat(local).catch(() => undefined);
      if (cached?.isFile && cached.size === size) return local;
      await Deno.mkdir(dirname(local), { recursive: true });
      const temp = `${local}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(temp, await get(path));
      await Deno.rename(temp, local);
      return local;
    },
    async exists(path) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(path) }));
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw fail("HEAD", path, e);
      }
    },
    async delete(path) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(path) }));
      } catch (e) {
        if (!isNotFound(e)) throw fail("DELETE", path, e);
      }
    },
    close: () => client.destroy(),
  };
}
