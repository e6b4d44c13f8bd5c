// What can go wrong, as classes a caller can `instanceof`: the request's outcome (denied by a
// person, refused by policy, expired, cancelled), a grant that does not verify or does not match
// what is about to run, the server's own error envelope, and a wait that ran out of time.
import type { RequestView } from "./types.js";

/** Every error this package throws (except an AbortSignal's own reason, rethrown as given). */
export class CountersignError extends Error {
  /** A stable code: the server's error code, or one of this package's (`denied`, `expired`, …). */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The server answered with its error envelope (`{ error: { code, message, issues? } }`). */
export class ApiError extends CountersignError {
  readonly status: number;
  readonly issues: { path: string; message: string }[];
  /** Seconds, from Retry-After (429, 503). */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, code: string, message: string, issues: { path: string; message: string }[] = [], retryAfterSeconds?: number) {
    super(code, `${message} (${status} ${code})`);
    this.status = status;
    this.issues = issues;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The server could not be reached (or answered something that is not Countersign) after the retries allowed. */
export class ConnectionError extends CountersignError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("connection_failed", message, options);
  }
}

/** A request that ended without an approval: carries the request as last seen. */
export abstract class OutcomeError extends CountersignError {
  readonly request: RequestView;
  constructor(code: string, message: string, request: RequestView) {
    super(code, message);
    this.request = request;
  }
  get requestId(): string {
    return this.request.id;
  }
}

/** A reviewer denied the request. `note` is the denying reviewer's note, `reviewer` their name. */
export class DeniedError extends OutcomeError {
  readonly note: string | null;
  readonly reviewer: string | null;
  constructor(request: RequestView) {
    const vote = [...request.reviews].reverse().find((r) => r.decision === "deny");
    const note = vote?.note ?? null;
    const reviewer = vote?.name ?? null;
    super("denied", `Denied${reviewer ? ` by ${reviewer}` : ""}${note ? `: ${note}` : "."}`, request);
    this.note = note;
    this.reviewer = reviewer;
  }
}

/** The policy denied the request outright (a `deny` rule): no person was asked. */
export class RefusedByPolicyError extends OutcomeError {
  readonly rule: string;
  readonly explanation: string;
  constructor(request: RequestView) {
    super("refused_by_policy", `Refused by policy rule ${request.policy.rule}: ${request.policy.explanation}`, request);
    this.rule = request.policy.rule;
    this.explanation = request.policy.explanation;
  }
}

/** Nobody decided before the decision deadline, or the approval's grant window passed unclaimed. */
export class ExpiredError extends OutcomeError {
  /** `decision`: never decided; `grant`: approved, but not claimed in time. */
  readonly phase: "decision" | "grant";
  constructor(request: RequestView, phase?: "decision" | "grant") {
    const p = phase ?? (request.decided_at ? "grant" : "decision");
    super(
      "expired",
      p === "grant"
        ? `The approval's grant window ended at ${request.grant_expires_at} before it was claimed.`
        : `Nobody decided before the deadline (${request.decision_deadline}).`,
      request,
    );
    this.phase = p;
  }
}

/** The request was withdrawn (by its agent) before a decision. */
export class CancelledError extends OutcomeError {
  constructor(request: RequestView) {
    super("cancelled", "The request was cancelled.", request);
  }
}

/** `waitForDecision`'s `timeout` passed while the request was still pending (it stays pending). */
export class WaitTimeoutError extends CountersignError {
  readonly requestId: string;
  constructor(requestId: string, timeoutMs: number) {
    super("wait_timeout", `Request ${requestId} was still pending after ${Math.round(timeoutMs / 1000)} s.`);
    this.requestId = requestId;
  }
}

/**
 * A grant that must not be acted on: its signature, type, claims or validity fail, or it is valid
 * for something other than what is about to run (`failure: "mismatch"`, `claim` names which).
 */
export class GrantVerificationError extends CountersignError {
  readonly failure: string;
  readonly claim: string | undefined;
  constructor(failure: string, message: string, claim?: string) {
    super("grant_refused", message);
    this.failure = failure;
    this.claim = claim;
  }
}
