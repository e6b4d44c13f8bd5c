// Where an agent's bearer credential comes from: a static key, or a workload's identity token
// exchanged (RFC 8693, /api/v1/token) for a short-lived agent token, refreshed before it expires.
// A workload identity is a SubjectTokenSource: the OIDC provider here (oidc.ts), AWS IAM in aws.ts.
import { ApiError, ConnectionError } from "../errors.js";

/** Something that proves the workload's identity to Countersign's token endpoint. */
export type SubjectTokenSource = {
  kind: string;
  /** RFC 8693 subject_token_type, e.g. urn:ietf:params:oauth:token-type:jwt. */
  subjectTokenType: string;
  /** A fresh subject token (re-read or re-requested on every call: they expire). */
  subjectToken(): Promise<string>;
};

/** The agent's bearer credential for each call. */
export type CredentialProvider = {
  bearer(signal?: AbortSignal): Promise<string>;
  /** The server refused the credential as expired or invalid: fetch a new one before the retry. */
  invalidate?(): void;
};

export function isSubjectTokenSource(x: unknown): x is SubjectTokenSource {
  return typeof x === "object" && x !== null && typeof (x as SubjectTokenSource).subjectToken === "function";
}

export function staticKey(key: string): CredentialProvider {
  return { bearer: async () => key };
}

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** Refresh this long before the agent token expires (or at half its life, if that is sooner). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * Exchanges the source's token at `<baseUrl>api/v1/token` and caches the agent token until shortly
 * before it expires; concurrent calls share one exchange.
 */
export function exchangedCredentials(
  source: SubjectTokenSource,
  opts: { baseUrl: URL; fetch: typeof fetch; now?: () => number; /** How long a transient failure is retried (ms, default 30 000). */ retryFor?: number },
): CredentialProvider {
  const now = opts.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const exchange = async (signal?: AbortSignal): Promise<string> => {
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: await source.subjectToken(),
      subject_token_type: source.subjectTokenType,
    });
    const url = new URL("api/v1/token", opts.baseUrl);
    let res: Response;
    try {
      res = await opts.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new ConnectionError(`POST ${url.pathname}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    if (!res.ok) {
      const check = typeof body.check === "string" ? ` (check: ${body.check})` : "";
      const retryAfter = Number(res.headers.get("retry-after"));
      throw new ApiError(
        res.status,
        typeof body.code === "string" ? body.code : typeof body.error === "string" ? body.error : "http_error",
        `${typeof body.error_description === "string" ? body.error_description : `HTTP ${res.status}`}${check}`,
        typeof body.check === "string" ? [{ path: body.check, message: String(body.error_description ?? "") }] : [],
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    if (typeof body.access_token !== "string" || typeof body.expires_in !== "number" || body.token_type !== "Bearer") {
      throw new ConnectionError(`POST ${url.pathname}: not a token exchange answer (is ${opts.baseUrl.origin} a Countersign server?)`);
    }
    const lifetimeMs = body.expires_in * 1000;
    cached = { token: body.access_token, refreshAt: now() + Math.max(0, lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2)) };
    return body.access_token;
  };
  // A restarting server (connection refused, 503) or a rate limit is waited out for a while, as
  // every other safe call is; a refusal (401, 400) is an answer and is thrown at once.
  const exchangeWithRetry = async (signal?: AbortSignal): Promise<string> => {
    const giveUpAt = Date.now() + (opts.retryFor ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      try {
        return await exchange(signal);
      } catch (err) {
        const transient = err instanceof ConnectionError || (err instanceof ApiError && (err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504));
        if (!transient || signal?.aborted || Date.now() >= giveUpAt) throw err;
        const wait = err instanceof ApiError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : Math.min(5_000, 200 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10_000, Math.max(0, giveUpAt - Date.now()))));
      }
    }
  };
  return {
    async bearer(signal) {
      if (cached && now() < cached.refreshAt) return cached.token;
      pending ??= exchangeWithRetry(signal).finally(() => (pending = undefined));
      return pending;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
