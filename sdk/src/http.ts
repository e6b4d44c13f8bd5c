// One HTTP call to the agent API, with the retry rule the call allows:
// - "safe" (reads, and filing under an Idempotency-Key): retried on network failures, 429, 502,
//   503 and 504 until `retryFor` runs out — a server restart in the middle is survived, and a
//   repeated filing replays rather than files twice;
// - "unsent" (execute, result, cancel: not idempotent): retried only when the request provably
//   was not processed — the connection was refused, or the server answered 429 or 503 — since a
//   repeated claim after a lost answer could not get the grant back anyway.
import { exchangedCredentials, isSubjectTokenSource, staticKey, type CredentialProvider, type SubjectTokenSource } from "./credentials/provider.js";
import { ApiError, ConnectionError } from "./errors.js";

export type RetryRule = "safe" | "unsent" | "none";

export type HttpOptions = {
  baseUrl: URL;
  /** The bearer credential of each call: a static key, or a workload's exchanged agent token. */
  credentials: CredentialProvider;
  fetch: typeof fetch;
  /** How long a call keeps retrying, in ms (default 60 s). */
  retryFor: number;
};

export type CallOptions = {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  retry?: RetryRule;
};

/** Reads an environment variable where there is one (Node), else undefined (browsers, edge). */
export const envVar = (name: string): string | undefined => (typeof process !== "undefined" ? process.env?.[name] : undefined) || undefined;

/**
 * A client's connection: the server URL (given or $COUNTERSIGN_URL, with a trailing slash so
 * relative paths resolve under it), its bearer credential (given or from `credentialEnv`), and
 * fetch. Throws a TypeError naming what is missing, for `who`.
 */
export function connection(
  who: string,
  o: {
    url?: string | URL | undefined;
    credential?: string | undefined;
    /** A workload identity (exchanged at /api/v1/token) or a provider, instead of a static credential. */
    credentials?: SubjectTokenSource | CredentialProvider | undefined;
    fetch?: typeof fetch | undefined;
    retryFor?: number | undefined;
  },
  credential: { env: string; what: string },
  defaultRetryFor: number,
): HttpOptions {
  const url = o.url ?? envVar("COUNTERSIGN_URL");
  if (!url) throw new TypeError(`${who}: no server URL (pass { url } or set COUNTERSIGN_URL).`);
  const baseUrl = new URL(url);
  if (!baseUrl.pathname.endsWith("/")) baseUrl.pathname += "/";
  const f = o.fetch ?? globalThis.fetch;
  if (!f) throw new TypeError(`${who}: this runtime has no fetch; pass { fetch }.`);
  const boundFetch = f.bind(globalThis);
  let credentials: CredentialProvider;
  if (o.credentials) {
    credentials = isSubjectTokenSource(o.credentials) ? exchangedCredentials(o.credentials, { baseUrl, fetch: boundFetch }) : o.credentials;
  } else {
    const key = o.credential ?? envVar(credential.env);
    if (!key) throw new TypeError(`${who}: no ${credential.what} (set ${credential.env}).`);
    credentials = staticKey(key);
  }
  return { baseUrl, credentials, fetch: boundFetch, retryFor: o.retryFor ?? defaultRetryFor };
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const UNSENT_STATUS = new Set([429, 503]);

/** The delay before attempt `n` (0-based): 200 ms doubling to 5 s, with jitter. */
export function backoff(n: number): number {
  const base = Math.min(5_000, 200 * 2 ** n);
  return base / 2 + Math.random() * (base / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** True for fetch's own failure when nothing reached a server (connection refused, DNS). */
export function wasNotSent(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

/** The server's error envelope as an ApiError (or a generic one when the body is not the envelope). */
export async function apiError(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get("retry-after"));
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; issues?: unknown } };
    const e = body.error;
    if (e && typeof e.code === "string" && typeof e.message === "string") {
      const issues = Array.isArray(e.issues) ? (e.issues as { path: string; message: string }[]) : [];
      return new ApiError(res.status, e.code, e.message, issues, Number.isFinite(retryAfter) ? retryAfter : undefined);
    }
  } catch {
    /* not JSON: reported below */
  }
  return new ApiError(res.status, "http_error", `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
}

export async function headers(opts: HttpOptions, extra: Record<string, string> = {}, signal?: AbortSignal): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await opts.credentials.bearer(signal)}`, accept: "application/json", ...extra };
}

/** A refusal that a fresh agent token may cure: the exchanged one expired or was refused. */
function staleCredential(error: ApiError, opts: HttpOptions): boolean {
  return error.status === 401 && error.code === "invalid_token" && opts.credentials.invalidate !== undefined;
}

/** Calls `method path` and returns the parsed JSON body of a 2xx answer; throws ApiError or ConnectionError. */
export async function call<T>(opts: HttpOptions, method: string, path: string, o: CallOptions = {}): Promise<T> {
  const rule = o.retry ?? "none";
  const url = new URL(path, opts.baseUrl);
  const giveUpAt = Date.now() + opts.retryFor;
  let refreshed = false;
  for (let attempt = 0; ; attempt++) {
    // The credential first, outside the network retry: a refused exchange is an answer, not an outage.
    const init: RequestInit = {
      method,
      headers: await headers(opts, { ...(o.body !== undefined ? { "content-type": "application/json" } : {}), ...o.headers }, o.signal),
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    let res: Response;
    try {
      res = await opts.fetch(url, init);
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason;
      const retry = rule === "safe" || (rule === "unsent" && wasNotSent(err));
      if (!retry || Date.now() >= giveUpAt) {
        throw new ConnectionError(`${method} ${url.pathname}: ${(err as Error).message}${causeOf(err)}`, { cause: err });
      }
      await sleep(backoff(attempt), o.signal);
      continue;
    }
    if (res.ok) {
      const text = await res.text();
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new ConnectionError(`${method} ${url.pathname}: the answer is not JSON (is ${opts.baseUrl.origin} a Countersign server?)`, { cause: err });
      }
    }
    const error = await apiError(res);
    // An agent token that expired between the check and the call: exchange once more, then retry.
    if (!refreshed && staleCredential(error, opts)) {
      refreshed = true;
      opts.credentials.invalidate!();
      continue;
    }
    const retryable = rule === "safe" ? RETRYABLE_STATUS.has(res.status) : rule === "unsent" && UNSENT_STATUS.has(res.status);
    if (!retryable || Date.now() >= giveUpAt) throw error;
    const wait = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds * 1000, 10_000) : backoff(attempt);
    await sleep(Math.min(wait, Math.max(0, giveUpAt - Date.now())), o.signal);
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause ? ` (${cause.code ?? cause.message ?? "unknown cause"})` : "";
}
