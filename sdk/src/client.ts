// The Countersign client for agents: file a request, wait for the human decision, claim the
// approval (which returns the signed grant), verify the grant against what is about to run, run
// it, report. `withApproval` does all of it around one function.
import { CancelledError, DeniedError, ExpiredError, GrantVerificationError, RefusedByPolicyError, WaitTimeoutError } from "./errors.js";
import { assertGrant } from "./grant.js";
import type { CredentialProvider, SubjectTokenSource } from "./credentials/provider.js";
import { call, connection, type HttpOptions } from "./http.js";
import { paramsHash } from "./params.js";
import type { ApprovalRequest, ApprovedParameters, ExecutedRequest, Grant, JsonObject, RequestView, ResultStatus } from "./types.js";
import { waitUntilDecided, withDeadline, type Transport } from "./wait.js";

export type CountersignOptions = {
  /** The Countersign server, e.g. https://countersign.example.com. Default: $COUNTERSIGN_URL. */
  url?: string | URL;
  /** The agent key (cs_…). Default: $COUNTERSIGN_KEY, unless `credentials` is given. */
  key?: string;
  /**
   * A workload identity instead of a key: oidcCredentials(…) (GitHub Actions, a Kubernetes token
   * file, a token string) or awsCredentials(…), exchanged at /api/v1/token for short-lived agent
   * tokens that are refreshed before they expire; or any CredentialProvider.
   */
  credentials?: SubjectTokenSource | CredentialProvider;
  /** How long one call keeps retrying network failures, 429 and 503 (ms, default 60 000). */
  retryFor?: number;
  /** fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
};

export type WaitOptions = {
  signal?: AbortSignal;
  /** Give up after this many ms (WaitTimeoutError; the request stays pending). Default: no limit but the request's own deadline. */
  timeout?: number;
  /** Every state seen while waiting (votes arrive as states too: "1 of 2"). */
  onUpdate?: (request: RequestView) => void;
  /** `auto` (default): the event stream, falling back to long-polls where streaming fails. */
  transport?: Transport;
};

export type WithApprovalOptions = WaitOptions & {
  /** Reuse to make a retried withApproval find the same request (default: a fresh key per call). */
  idempotencyKey?: string;
  /** Called once the request is filed (its id, console link, policy and risk). */
  onFiled?: (request: RequestView) => void;
  /** What to record as the result's detail on success (default: the duration only). */
  resultDetail?: (value: unknown) => JsonObject | undefined;
};

export class Countersign {
  readonly url: URL;
  private readonly http: HttpOptions;

  constructor(options: CountersignOptions = {}) {
    this.http = connection("Countersign", { ...options, credential: options.key }, { env: "COUNTERSIGN_KEY", what: "agent key (pass { key })" }, 60_000);
    this.url = this.http.baseUrl;
  }

  /** The console page of a request, for people. */
  consoleUrl(id: string): string {
    return new URL(`requests/${encodeURIComponent(id)}`, this.url).toString();
  }

  /**
   * Files a request. Retries (network failures, a restarting server) reuse one Idempotency-Key, so
   * one call files at most once; pass your own key to extend that across calls or processes.
   */
  async requestApproval(request: ApprovalRequest, opts: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<RequestView> {
    const key = opts.idempotencyKey ?? globalThis.crypto.randomUUID();
    return call<RequestView>(this.http, "POST", "api/v1/requests", {
      body: request,
      headers: { "idempotency-key": key },
      retry: "safe",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** The request's current state. */
  async getRequest(id: string, opts: { signal?: AbortSignal } = {}): Promise<RequestView> {
    return call<RequestView>(this.http, "GET", `api/v1/requests/${encodeURIComponent(id)}`, { retry: "safe", ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * Waits until the request is decided. Resolves with it when approved (or already executed);
   * throws DeniedError (with the reviewer's note), RefusedByPolicyError, ExpiredError or
   * CancelledError otherwise, WaitTimeoutError after `timeout`, the signal's reason on abort.
   */
  async waitForDecision(id: string, opts: WaitOptions = {}): Promise<RequestView> {
    const { signal, cleanup, timedOut } = deadline(opts);
    try {
      const view = await waitUntilDecided(this.http, id, {
        signal,
        transport: opts.transport ?? "auto",
        ...(opts.onUpdate ? { onUpdate: opts.onUpdate } : {}),
      });
      return outcome(view);
    } catch (err) {
      if (timedOut()) throw new WaitTimeoutError(id, opts.timeout!);
      throw err;
    } finally {
      cleanup();
    }
  }

  /**
   * Claims the approval: succeeds once, while approved and inside the grant window, and returns
   * the signed grant (returned by this call only). Not retried after it may have reached the server.
   */
  async claim(id: string, opts: { signal?: AbortSignal } = {}): Promise<ExecutedRequest> {
    return call<ExecutedRequest>(this.http, "POST", `api/v1/requests/${encodeURIComponent(id)}/execute`, {
      retry: "unsent",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /**
   * Claims and verifies: the grant's signature against the server's JWKS, its request id, and its
   * params_hash against the hash of `params` — the parameters about to run. Throws
   * GrantVerificationError (after reporting the refusal as a failed result) when any differ.
   */
  async claimVerified(id: string, params: ApprovedParameters, opts: { signal?: AbortSignal } = {}): Promise<Grant> {
    const executed = await this.claim(id, opts);
    const { grant: token, ...request } = executed;
    try {
      const claims = await assertGrant(token, {
        url: this.url,
        fetch: this.http.fetch,
        clockToleranceSeconds: 5,
        expect: {
          request_id: id,
          action: params.action,
          resource: params.resource,
          environment: params.environment,
          params_hash: await paramsHash(params),
        },
      });
      return { token, claims, request };
    } catch (err) {
      const message = err instanceof GrantVerificationError ? `Refused before running: ${err.message}` : `Refused before running: ${(err as Error).message}`;
      await this.report(id, { status: "failed", detail: { error: message, refused_by: "sdk" } }).catch(() => undefined);
      throw err;
    }
  }

  /** Records the outcome of the executed action (once). */
  async report(id: string, result: { status: ResultStatus; detail?: JsonObject }, opts: { signal?: AbortSignal } = {}): Promise<RequestView> {
    return call<RequestView>(this.http, "POST", `api/v1/requests/${encodeURIComponent(id)}/result`, {
      body: result,
      retry: "unsent",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Withdraws a pending request. */
  async cancel(id: string, reason?: string, opts: { signal?: AbortSignal } = {}): Promise<RequestView> {
    return call<RequestView>(this.http, "POST", `api/v1/requests/${encodeURIComponent(id)}/cancel`, {
      body: reason === undefined ? {} : { reason },
      retry: "unsent",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /**
   * Files `request`, waits for the decision, claims the approval exactly once, verifies the grant
   * (signature, request, and params_hash recomputed from `request` as it is now, just before
   * running), runs `fn` with the grant, and reports success or the error's message. Returns what
   * `fn` returns; throws the outcome errors of waitForDecision, GrantVerificationError, or `fn`'s
   * own error (after reporting it).
   */
  async withApproval<T>(request: ApprovalRequest, fn: (grant: Grant) => Promise<T> | T, opts: WithApprovalOptions = {}): Promise<T> {
    const filed = await this.requestApproval(request, {
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    opts.onFiled?.(filed);
    if (filed.status === "pending") await this.waitForDecision(filed.id, opts);
    else outcome(filed);
    const grant = await this.claimVerified(filed.id, request, opts.signal ? { signal: opts.signal } : {});
    const started = Date.now();
    let value: T;
    try {
      value = await fn(grant);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.report(filed.id, { status: "failed", detail: { error: message.slice(0, 4000), duration_ms: Date.now() - started } }).catch(() => undefined);
      throw err;
    }
    await this.report(filed.id, { status: "succeeded", detail: { duration_ms: Date.now() - started, ...opts.resultDetail?.(value) } });
    return value;
  }
}

/** A decided request as the caller sees it: approved (or executed) returns, the rest throw their error. */
export function outcome(view: RequestView): RequestView {
  switch (view.status) {
    case "approved":
    case "executed":
      return view;
    case "denied":
      throw view.policy.decision === "deny" && view.reviews.length === 0 ? new RefusedByPolicyError(view) : new DeniedError(view);
    case "expired":
      throw new ExpiredError(view);
    case "cancelled":
      throw new CancelledError(view);
    case "pending":
      throw new TypeError(`outcome: request ${view.id} is still pending`);
  }
}

/** The wait's signal: the caller's, plus the timeout's; and whether the timeout was what fired. */
function deadline(opts: WaitOptions): { signal: AbortSignal; cleanup: () => void; timedOut: () => boolean } {
  const controller = new AbortController();
  let fired = false;
  const timer =
    opts.timeout !== undefined
      ? setTimeout(() => {
          fired = true;
          controller.abort(new Error("timeout"));
        }, opts.timeout)
      : undefined;
  const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
  if (opts.timeout !== undefined) withDeadline(signal, Date.now() + opts.timeout);
  return { signal, cleanup: () => clearTimeout(timer), timedOut: () => fired && !opts.signal?.aborted };
}
