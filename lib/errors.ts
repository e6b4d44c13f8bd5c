// Typed domain errors. Every failure the product reports carries a stable code; adapters map the
// code to a transport (HTTP status, server-action result, Slack ephemeral) and never leak stacks.

export type ErrorIssue = { path: string; message: string };

const STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  /** SCIM: a filter outside the supported grammar (RFC 7644 `invalidFilter`). */
  invalid_filter: 400,
  /** SCIM: a PATCH path that is malformed or names no supported attribute (`invalidPath`). */
  invalid_path: 400,
  /** SCIM: a PATCH operation without the target it needs (`noTarget`). */
  no_target: 400,
  /** SCIM: an attempt to change a read-only or immutable attribute (`mutability`). */
  mutability: 400,
  /** A grant presented for redemption that is not a JWS, not a grant (typ), has bad claims or is not yet valid. */
  invalid_grant: 400,
  /** A valid grant presented at another grant's redeem path (its jti is not the id in the path). */
  grant_mismatch: 400,
  unauthorized: 401,
  /** The person's groups (or a recent enough sign-in) cannot be confirmed: sign in again. */
  reauthentication_required: 401,
  /** The rule asks for a sign-in within the last few minutes to approve. */
  step_up_required: 401,
  /** A Slack account nobody has linked to a person yet. */
  not_linked: 403,
  forbidden: 403,
  /** A reviewer token used for something its scopes do not cover (a `read` token approving). */
  insufficient_scope: 403,
  agent_revoked: 401,
  /**
   * A workload identity token (an issuer's JWT, or an agent token /api/v1/token issued) that fails a
   * check; the issue's path names the check (signature, issuer, audience, expired, …).
   */
  invalid_token: 401,
  /** A grant whose signature does not verify with our JWKS: forged, edited, another key's, or not EdDSA (`alg: none`). */
  invalid_grant_signature: 401,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  not_approved: 409,
  already_executed: 409,
  already_decided: 409,
  already_voted: 409,
  denied: 409,
  cancelled: 409,
  not_executed: 409,
  result_already_reported: 409,
  not_pending: 409,
  /** The grant was redeemed before (first redeem wins). */
  already_redeemed: 409,
  self_approval: 403,
  not_eligible: 403,
  /** The request's policy rule does not allow break-glass. */
  break_glass_not_allowed: 403,
  /** The request has no break-glass approval whose retrospective review is still owed. */
  no_review_owed: 409,
  expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof STATUS;

export class CountersignError extends Error {
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[];
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, opts: { issues?: ErrorIssue[]; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = "CountersignError";
    this.code = code;
    this.issues = opts.issues ?? [];
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get status(): number {
    return STATUS[this.code];
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues.length > 0 ? { issues: this.issues } : {}),
      },
    };
  }
}

export function isCountersignError(e: unknown): e is CountersignError {
  return e instanceof CountersignError;
}

type ZodLikeIssue = { code?: string; path: readonly PropertyKey[]; message: string; keys?: readonly string[] };

/**
 * zod issues -> our issue list (`context.rows`, `items[2].id`), naming each offending field. zod
 * reports unknown keys once, on the parent object, so they are expanded to one issue per key.
 */
export function issuesFromZod(issues: readonly ZodLikeIssue[]): ErrorIssue[] {
  return issues
    .flatMap((i): { path: readonly PropertyKey[]; message: string }[] =>
      i.code === "unrecognized_keys" && i.keys
        ? i.keys.map((key) => ({ path: [...i.path, key], message: "unknown field" }))
        : [i],
    )
    .map((i) => ({
      path: i.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "["),
      message: i.message,
    }));
}
