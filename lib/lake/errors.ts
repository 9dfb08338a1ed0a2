/** Lake errors that retrying can't fix. */

/**
 * The store refused a request for good (no such bucket, access denied, bad credentials):
 * retrying or spilling would only hide it, so callers fail at once with this message.
 */
export class LakePermanentError extends Error {
  /** `what` failed at `where` with the store's error `code` (e.g. `NoSuchBucket`, `AccessDenied`). */
  constructor(what: string, where: string, readonly code: string, detail: string, cause: unknown) {
    super(
      `the lake refused ${what} ${where}: ${code}${detail ? ` (${detail})` : ""}; not retried: ` +
        `check the bucket name, the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or ` +
        `AWS_PROFILE, in the environment or .env) and their permissions`,
      { cause },
    );
    this.name = "LakePermanentError";
  }
}

/** Whether `e` (or an error it wraps) is a {@link LakePermanentError}. */
export function isPermanent(e: unknown): e is LakePermanentError {
  for (let x = e, depth = 0; x && depth < 5; depth++) {
    if (x instanceof LakePermanentError) return true;
    x = (x as { cause?: unknown }).cause;
  }
  return false;
}
