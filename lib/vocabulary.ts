// Countersign's word lists, each written once: the database enums (db/schema.ts), the wire schemas
// (lib/requests/schema.ts), the policy types, the filters and the console's menus derive from
// these. Pure constants, safe to import from client components. Order matters where it is shown
// or stored: a pgEnum's values are in this order (reordering needs a migration).

/** A request's state (SPEC §1). Terminal: denied, expired, cancelled, executed. */
export const REQUEST_STATUSES = ["pending", "approved", "denied", "expired", "cancelled", "executed"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Risk levels, least to most severe (the score bands are lib/policy/evaluate.ts's riskLevel). */
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Where an action came from: a decision, a request, an audit event. */
export const CHANNELS = ["console", "slack", "api", "system", "cli"] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a policy rule decides for a request. */
export const POLICY_DECISIONS = ["require_approval", "auto_approve", "deny"] as const;
export type PolicyDecision = (typeof POLICY_DECISIONS)[number];

/** A reviewer's vote. */
export const REVIEW_DECISIONS = ["approve", "deny"] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** What an agent reports after running an approved action. */
export const RESULT_STATUSES = ["succeeded", "failed"] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/**
 * What a reviewer's personal token may do over the reviewer API: `read` lists and shows the
 * requests they may decide, `decide` approves and denies them.
 */
export const REVIEWER_TOKEN_SCOPES = ["read", "decide"] as const;
export type ReviewerTokenScope = (typeof REVIEWER_TOKEN_SCOPES)[number];

/** Who an audit event's actor is. */
export const ACTOR_KINDS = ["agent", "user", "system"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Console roles, in the order they are listed (admin, reviewer, auditor). */
export const CONSOLE_ROLES = ["admin", "reviewer", "auditor"] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** Every audit event type written (SPEC §6). The column is text: adding one needs no migration. */
export const AUDIT_EVENT_TYPES = [
  "request.created",
  "request.auto_approved",
  "request.refused",
  "review.approved",
  "review.denied",
  "request.approved",
  "request.denied",
  "request.expired",
  "request.cancelled",
  "request.executed",
  "request.result",
  "request.break_glass",
  "request.reminded",
  "request.escalated",
  "break_glass.reviewed",
  "break_glass.review_overdue",
  "grant.redeemed",
  "agent.created",
  "agent.key_rotated",
  "agent.revoked",
  "policy.loaded",
  "auth.signed_in",
  "auth.signed_out",
  "auth.sessions_ended",
  "person.linked",
  "slack.linked",
  "slack.unlinked",
  "reviewer_token.created",
  "reviewer_token.revoked",
  "scim.user_changed",
  "scim.group_changed",
  "audit.exported",
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Where a break-glass approval's retrospective review stands. */
export const BREAK_GLASS_REVIEW_STATES = ["pending", "acknowledged", "flagged"] as const;
export type BreakGlassReviewState = (typeof BREAK_GLASS_REVIEW_STATES)[number];

/** A UUID in canonical text form, any case (request and agent ids; callers lower-case what they keep). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);
