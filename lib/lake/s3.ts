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
import { LakePermanentError } from "./errors.ts";
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
  /**
   * Most bytes the stage may hold (default 2 GiB, `TWEETLAKE_S3_CACHE_BYTES`); the least
   * recently used copies go first, except those handed out within `cacheKeepMs`.
   */
  cacheMaxBytes?: number;
  /** How long a staged copy handed out is kept from eviction (default 10 min: an update reads it). */
  cacheKeepMs?: number;
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

/** S3 error codes that no retry fixes. */
const PERMANENT = new Set([
  "NoSuchBucket",
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidBucketName",
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "AccountProblem",
  "InvalidToken",
  "ExpiredToken",
  "InvalidArgument",
  "InvalidRequest",
]);

/** The error code of an S3 failure that no retry fixes (by code, or HTTP 301/401/403). */
function permanentCode(e: unknown): string | undefined {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err?.Code ?? err?.name;
  if (code && PERMANENT.has(code)) return code;
  const status = err?.$metadata?.httpStatusCode;
  if (status === 403) return code && code !== "Error" && code !== "Unknown" ? code : "AccessDenied";
  // a 400 can be transient (RequestTimeout): only the codes above count as permanent
  if (status === 301 || status === 401) return code ?? `HTTP ${status}`;
  return undefined;
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (err?.name === "NoSuchBucket") return false;
  return err?.name === "NoSuchKey" || err?.name === "NotFound" ||
    err?.$metadata?.httpStatusCode === 404;
}

/** Separates a staged copy's lake path from the object version it holds. */
const VERSION_MARK = ".@";

/** A file-name-safe tag of an object version: its ETag, else its size and modification time. */
function versionTag(etag: string | undefined, size?: number, mtime?: Date): string {
  const raw = etag ? etag.replace(/"/g, "") : `${size ?? 0}-${mtime?.getTime() ?? 0}`;
  return raw.replace(/[^A-Za-z0-9-]/g, "_").slice(0, 80);
}

/** The local stage of S3 copies: one copy per object version, bounded in bytes (LRU). */
class StageCache {
  constructor(readonly dir: string, readonly maxBytes: number, readonly keepMs: number) {}

  /** Deletes the staged copies of other versions of the object staged at `keep`. */
  async removeOtherVersions(base: string, keep: string): Promise<void> {
    const name = base.slice(base.lastIndexOf("/") + 1) + VERSION_MARK;
    for await (const e of Deno.readDir(dirname(base))) {
      const p = join(dirname(base), e.name);
      if (e.isFile && e.name.startsWith(name) && p !== keep && !e.name.endsWith(".tmp")) {
        await Deno.remove(p).catch(() => {});
      }
    }
  }

  /** Evicts the least recently used copies until the stage fits, sparing recent hand-outs. */
  async bound(handedOut: Map<string, number>): Promise<void> {
    const files: { path: string; size: number; used: number }[] = [];
    const walk = async (d: string) => {
      for await (const e of Deno.readDir(d)) {
        const p = join(d, e.name);
        if (e.isDirectory) await walk(p);
        else if (e.isFile && !e.name.endsWith(".tmp")) {
          const st = await Deno.stat(p).catch(() => undefined);
          if (st) files.push({ path: p, size: st.size, used: st.mtime?.getTime() ?? 0 });
        }
      }
    };
    await walk(this.dir).catch(() => {});
    let total = files.reduce((n, f) => n + f.size, 0);
    if (total <= this.maxBytes) return;
    const now = Date.now();
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      const given = handedOut.get(f.path);
      if (given !== undefined && now - given < this.keepMs) continue;
      await Deno.remove(f.path).catch(() => {});
      handedOut.delete(f.path);
      total -= f.size;
    }
  }
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
  const cache = new StageCache(
    cacheDir,
    opts.cacheMaxBytes ?? (Number(Deno.env.get("TWEETLAKE_S3_CACHE_BYTES")) || 2 * 1024 ** 3),
    opts.cacheKeepMs ?? 10 * 60_000,
  );
  const handedOut = new Map<string, number>();
  const fail = (what: string, path: string, e: unknown): Error => {
    if ((e as Error)?.name === "CredentialsProviderError") {
      return new LakePermanentError(
        what,
        where(path),
        "NoCredentials",
        "no AWS credentials found",
        e,
      );
    }
    const code = permanentCode(e);
    if (code) {
      const detail = (e as Error)?.message;
      return new LakePermanentError(what, where(path), code, detail === code ? "" : detail, e);
    }
    return new Error(`S3 ${what} ${where(path)} failed: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
    });
  };

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
      let version: string;
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(path) }));
        version = versionTag(head.ETag, head.ContentLength, head.LastModified);
      } catch (e) {
        if (isNotFound(e)) {
          throw new Deno.errors.NotFound(`no such file in the lake: ${where(path)}`);
        }
        throw fail("HEAD", path, e);
      }
      // one copy per object version: an object overwritten (even with the same size) is fetched again
      const base = join(cacheDir, ...path.split("/").filter(Boolean));
      const local = `${base}${VERSION_MARK}${version}`;
      handedOut.set(local, Date.now());
      const cached = await Deno.stat(local).catch(() => undefined);
      if (cached?.isFile) {
        await Deno.utime(local, new Date(), new Date()).catch(() => {});
        return local;
      }
      await Deno.mkdir(dirname(local), { recursive: true });
      const temp = `${local}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(temp, await get(path));
      await Deno.rename(temp, local);
      await cache.removeOtherVersions(base, local);
      await cache.bound(handedOut);
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
