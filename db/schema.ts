// Countersign's tables: agents and their keys, requests, reviews (votes) and the audit log.
import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import {
  ACTOR_KINDS,
  CHANNELS,
  POLICY_DECISIONS,
  REQUEST_STATUSES,
  REVIEW_DECISIONS,
  RISK_LEVELS,
  type ActorKind,
  type BreakGlassReviewState,
  type ReviewerTokenScope,
} from "@/lib/vocabulary";

/**
 * The workload identity an agent proved when it filed a request (lib/auth/workload-identity.ts):
 * the request's authenticated origin, set by the server, never from the body.
 */
export type WorkloadIdentity =
  | {
      kind: "oidc";
      issuer: string;
      subject: string;
      /** The claims the policy rule matched on, as the token carried them. */
      claims: Record<string, string>;
      /** Informative claims the issuer set (the workflow run, the commit), when present. */
      context?: Record<string, string>;
    }
  | { kind: "aws"; arn: string; account: string };

/** What the matched rule said about break-glass and escalation, stamped on the request when it is filed. */
export type FollowUpTerms = {
  breakGlass?: { groups: string[]; notify: { slackChannel?: string; teamsWebhook?: string }; reviewWithinSeconds: number };
  escalateTo?: string;
};

/** A break-glass approval: who, why, when, and its retrospective review. */
export type BreakGlassRecord = {
  by: string;
  byName: string;
  reason: string;
  at: string;
  review: { state: BreakGlassReviewState; by: string | null; byName: string | null; at: string | null; note: string | null };
};

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const requestStatus = pgEnum("request_status", REQUEST_STATUSES);
export const policyDecision = pgEnum("policy_decision", POLICY_DECISIONS);
export const reviewDecision = pgEnum("review_decision", REVIEW_DECISIONS);
export const riskLevel = pgEnum("risk_level", RISK_LEVELS);
export const channel = pgEnum("channel", CHANNELS);
export const actorKind = pgEnum("actor_kind", ACTOR_KINDS);

export const agents = pgTable(
  "agents",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    owner: text("owner").notNull(),
    description: text("description"),
    createdAt: ts("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [uniqueIndex("agents_name_key").on(t.name)],
);

export const agentKeys = pgTable(
  "agent_keys",
  {
    id: uuid("id").primaryKey(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id),
    // Public, non-secret part of the key used to find the row; the secret is only stored hashed.
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdAt: ts("created_at").notNull(),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [uniqueIndex("agent_keys_prefix_key").on(t.prefix), index("agent_keys_agent_idx").on(t.agentId)],
);

export const requests = pgTable(
  "requests",
  {
    id: uuid("id").primaryKey(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id),
    action: text("action").notNull(),
    resource: text("resource").notNull(),
    environment: text("environment").notNull(),
    intent: text("intent").notNull(),
    context: jsonb("context").$type<Record<string, unknown>>().notNull(),
    origin: jsonb("origin").$type<Record<string, unknown>>().notNull(),
    onBehalfOf: text("on_behalf_of"),
    callbackUrl: text("callback_url"),
    paramsHash: text("params_hash").notNull(),
    status: requestStatus("status").notNull(),
    riskScore: integer("risk_score").notNull(),
    riskLevel: riskLevel("risk_level").notNull(),
    riskReasons: jsonb("risk_reasons").$type<{ code: string; points: number; message: string }[]>().notNull(),
    policyRule: text("policy_rule").notNull(),
    policyHash: text("policy_hash").notNull(),
    policyDecision: policyDecision("policy_decision").notNull(),
    explanation: text("explanation").notNull(),
    approvalsRequired: integer("approvals_required").notNull(),
    approverGroups: jsonb("approver_groups").$type<string[]>().notNull(),
    notify: jsonb("notify").$type<Record<string, unknown>>().notNull().default({}),
    /** Approving needs a recent sign-in (the rule's step_up, or a critical risk). */
    stepUp: boolean("step_up").notNull().default(false),
    grantWindowSeconds: integer("grant_window_seconds").notNull(),
    decisionDeadline: ts("decision_deadline").notNull(),
    grantExpiresAt: ts("grant_expires_at"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    decidedAt: ts("decided_at"),
    executedAt: ts("executed_at"),
    resultStatus: text("result_status"),
    resultDetail: jsonb("result_detail").$type<Record<string, unknown>>(),
    resultAt: ts("result_at"),
    idempotencyKey: text("idempotency_key"),
    bodyHash: text("body_hash").notNull(),
    // Break-glass, reminders and escalation (lib/requests/break-glass.ts, follow-ups.ts). Each `…At`
    // pair is a due time and the claim that it was acted on: set once, under the row's lock.
    followUp: jsonb("follow_up").$type<FollowUpTerms>().notNull().default({}),
    breakGlass: jsonb("break_glass").$type<BreakGlassRecord>(),
    breakGlassReviewDueAt: ts("break_glass_review_due_at"),
    breakGlassReviewEscalatedAt: ts("break_glass_review_escalated_at"),
    remindAt: ts("remind_at"),
    remindedAt: ts("reminded_at"),
    escalateAt: ts("escalate_at"),
    escalatedAt: ts("escalated_at"),
    escalatedTo: jsonb("escalated_to").$type<string[]>().notNull().default([]),
    /** The workload identity the agent authenticated with when filing (null: a static key). */
    workloadIdentity: jsonb("workload_identity").$type<WorkloadIdentity>(),
  },
  (t) => [
    uniqueIndex("requests_idempotency_key").on(t.agentId, t.idempotencyKey),
    index("requests_status_deadline_idx").on(t.status, t.decisionDeadline),
    index("requests_status_grant_idx").on(t.status, t.grantExpiresAt),
    index("requests_agent_action_idx").on(t.agentId, t.action),
    index("requests_pending_inbox_idx").on(t.riskScore, t.createdAt).where(sql`${t.status} = 'pending'`),
    index("requests_remind_due_idx").on(t.remindAt).where(sql`${t.remindedAt} is null and ${t.status} = 'pending'`),
    index("requests_escalate_due_idx").on(t.escalateAt).where(sql`${t.escalatedAt} is null and ${t.status} = 'pending'`),
    index("requests_break_glass_review_idx").on(t.breakGlassReviewDueAt).where(sql`${t.breakGlass} is not null`),
    // The audit timeline's params_hash filter finds the requests filed with those exact parameters.
    index("requests_params_hash_idx").on(t.paramsHash),
    // The Requests list: newest first, keyset pages on (created_at, id).
    index("requests_created_idx").on(t.createdAt, t.id),
    check("requests_risk_score_range", sql`${t.riskScore} between 0 and 100`),
    check("requests_approvals_required_positive", sql`${t.approvalsRequired} >= 0`),
  ],
);

export const reviews = pgTable(
  "reviews",
  {
    id: uuid("id").primaryKey(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id),
    /** The person who voted (their id); before people existed, their e-mail. */
    reviewerId: text("reviewer_id").notNull(),
    reviewerName: text("reviewer_name").notNull(),
    /** The identity they voted through. */
    identityId: uuid("identity_id"),
    idp: text("idp").notNull(),
    groups: jsonb("groups").$type<string[]>().notNull(),
    decision: reviewDecision("decision").notNull(),
    note: text("note"),
    channel: channel("channel").notNull(),
    createdAt: ts("created_at").notNull(),
  },
  // One vote per reviewer per request, whichever channel it came from.
  (t) => [uniqueIndex("reviews_one_vote_per_reviewer").on(t.requestId, t.reviewerId)],
);

export type AuditActor = {
  kind: ActorKind;
  id: string;
  display: string;
  idp?: string;
  groups?: string[];
  /** For a person: the identity they acted through (the provider's issuer and subject). */
  issuer?: string;
  subject?: string;
};

// Append-only. Rows are inserted unsealed (seq/prev_hash/hash null) inside the transaction of the
// change they record; the sealer then assigns the gapless chain position and hash once. A trigger
// (migration 0001) refuses every other UPDATE, and every DELETE and TRUNCATE.
/** The predicate of the timeline's indexes: sealed events (see below). */
const sealed = (t: { seq: AnyPgColumn }) => sql`${t.seq} is not null`;

export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: uuid("event_id").notNull(),
    occurredAt: ts("occurred_at").notNull(),
    type: text("type").notNull(),
    actorKind: actorKind("actor_kind").notNull(),
    actorId: text("actor_id").notNull(),
    actor: jsonb("actor").$type<AuditActor>().notNull(),
    channel: channel("channel").notNull(),
    requestId: uuid("request_id"),
    agentId: uuid("agent_id"),
    action: text("action"),
    environment: text("environment"),
    riskLevel: riskLevel("risk_level"),
    /** What the event concluded, for filtering: approved, denied, expired, cancelled, executed, succeeded, failed. */
    outcome: text("outcome"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /**
     * The words the timeline's free-text filter searches (trigram index), written with the row by
     * lib/audit/search-text.ts; not hashed. Rows from before migration 0018 hold the lower-cased
     * whole text their generated column computed (ids included), which the same filter searches.
     */
    searchText: text("search_text"),
    /** The identifiers (UUIDs, hex digests) cut out of searchText, found whole (array index). */
    searchIds: text("search_ids").array(),
    seq: bigint("seq", { mode: "number" }),
    prevHash: text("prev_hash"),
    hash: text("hash"),
    sealedAt: ts("sealed_at"),
    /**
     * `kid:hex` HMAC-SHA256 of the event's content under a key the database never holds (written by
     * the server with the row): a row inserted with only the database's credentials has none.
     */
    mac: text("mac"),
  },
  (t) => [
    uniqueIndex("audit_events_event_id_key").on(t.eventId),
    uniqueIndex("audit_events_seq_key").on(t.seq),
    index("audit_events_unsealed_idx").on(t.id).where(sql`${t.seq} is null`),
    index("audit_events_request_idx").on(t.requestId, t.id),
    // The timeline sorts by time (or by a column, then time) and keyset-paginates on (…, id):
    // one composite index per filterable column serves both the filter and the order. They cover
    // sealed events only (the timeline shows the chain): an event is written unsealed in the
    // agent's transaction and sealed milliseconds later by a non-HOT UPDATE that indexes it anyway,
    // so indexing it at the insert as well would double the cost (measured: ~20 % of create
    // throughput, most of it the trigram index).
    index("audit_events_time_idx").on(t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_type_time_idx").on(t.type, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_actor_time_idx").on(t.actorId, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_agent_time_idx").on(t.agentId, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_action_time_idx").on(t.action, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_env_time_idx").on(t.environment, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_risk_time_idx").on(t.riskLevel, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_outcome_time_idx").on(t.outcome, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_channel_time_idx").on(t.channel, t.occurredAt, t.id).where(sealed(t)),
    index("audit_events_search_trgm_idx").using("gin", sql`${t.searchText} gin_trgm_ops`).where(sealed(t)),
    index("audit_events_search_ids_idx").using("gin", t.searchIds).where(sealed(t)),
  ],
);

export type Agent = typeof agents.$inferSelect;
export type AgentKey = typeof agentKeys.$inferSelect;
export type RequestRow = typeof requests.$inferSelect;
export type ReviewRow = typeof reviews.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
// Re-exported for the row-level modules that take them with the row types.
export type { Channel, RequestStatus } from "@/lib/vocabulary";

// ── people and their identities (SPEC §3) ──────────────────────────────────────────────────────
// A person is who counts once: for a quorum, for "no self-approval". They sign in through one or
// more identities, each an identity provider's (issuer, subject); e-mail is an attribute. Identities
// of one person are linked by an admin, or automatically when both carry the same verified e-mail.

export const people = pgTable("people", {
  id: uuid("id").primaryKey(),
  displayName: text("display_name").notNull(),
  createdAt: ts("created_at").notNull(),
  /** Set when an admin linked this person into another: from then on they are that person. */
  mergedInto: uuid("merged_into").references((): AnyPgColumn => people.id),
  mergedAt: ts("merged_at"),
});

export const identities = pgTable(
  "identities",
  {
    id: uuid("id").primaryKey(),
    personId: uuid("person_id")
      .notNull()
      .references(() => people.id),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    /** okta | github | dev */
    idp: text("idp").notNull(),
    /** The provider's login (Okta `preferred_username`, GitHub login): how SCIM users are matched. */
    login: text("login"),
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    name: text("name").notNull(),
    /** Groups as last confirmed by the provider (sign-in or refresh); SCIM-managed people use SCIM's. */
    groups: jsonb("groups").$type<string[]>().notNull(),
    groupsConfirmedAt: ts("groups_confirmed_at"),
    /** What can confirm them again without the person: a sealed provider credential (never in clear). */
    refreshCredential: text("refresh_credential"),
    createdAt: ts("created_at").notNull(),
    lastSignInAt: ts("last_sign_in_at"),
  },
  (t) => [
    uniqueIndex("identities_issuer_subject_key").on(t.issuer, t.subject),
    index("identities_person_idx").on(t.personId),
    index("identities_verified_email_idx").on(sql`lower(${t.email})`).where(sql`${t.emailVerified}`),
    index("identities_login_idx").on(t.issuer, sql`lower(${t.login})`),
  ],
);

export type PersonRow = typeof people.$inferSelect;
export type IdentityRow = typeof identities.$inferSelect;

// Console sessions the server can end: the browser's Auth.js cookie holds only the session's id; its
// row says whether it is still alive (sign-out, idle timeout, absolute lifetime, an admin, SCIM).
export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 (hex) of the id in the cookie. */
    id: text("id").primaryKey(),
    identityId: uuid("identity_id")
      .notNull()
      .references(() => identities.id),
    personId: uuid("person_id")
      .notNull()
      .references(() => people.id),
    createdAt: ts("created_at").notNull(),
    lastSeenAt: ts("last_seen_at").notNull(),
    expiresAt: ts("expires_at").notNull(),
    /** When the person last authenticated at the provider (OIDC auth_time): step-up needs it recent. */
    authTime: ts("auth_time").notNull(),
    endedAt: ts("ended_at"),
    endedReason: text("ended_reason"),
  },
  (t) => [index("sessions_person_live_idx").on(t.personId).where(sql`${t.endedAt} is null`)],
);

export type SessionRow = typeof sessions.$inferSelect;

// A reviewer's personal tokens for the reviewer API and CLI (`csr_<prefix>_<secret>`): shown once at
// creation; only SHA-256 of the secret is kept. Each speaks for its person with their groups
// confirmed at use, never for step-up (a token proves no recent sign-in).
export const reviewerTokens = pgTable(
  "reviewer_tokens",
  {
    id: uuid("id").primaryKey(),
    personId: uuid("person_id")
      .notNull()
      .references(() => people.id),
    name: text("name").notNull(),
    /** Public, non-secret part of the token: finds the row, and names the token in lists. */
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: jsonb("scopes").$type<ReviewerTokenScope[]>().notNull(),
    createdAt: ts("created_at").notNull(),
    expiresAt: ts("expires_at").notNull(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("reviewer_tokens_prefix_key").on(t.prefix), index("reviewer_tokens_person_idx").on(t.personId, t.createdAt)],
);

export type ReviewerTokenRow = typeof reviewerTokens.$inferSelect;

// A Slack account bound to a person by that person, signed in, opening a one-time link.
export const slackLinks = pgTable(
  "slack_links",
  {
    teamId: text("team_id").notNull(),
    userId: text("user_id").notNull(),
    personId: uuid("person_id")
      .notNull()
      .references(() => people.id),
    linkedAt: ts("linked_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("slack_links_person_idx").on(t.personId)],
);

export const slackLinkCodes = pgTable("slack_link_codes", {
  /** SHA-256 (hex) of the one-time code in the link. */
  codeHash: text("code_hash").primaryKey(),
  teamId: text("team_id").notNull(),
  userId: text("user_id").notNull(),
  createdAt: ts("created_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
  usedAt: ts("used_at"),
});

// The directory Okta provisions over SCIM 2.0: users (matched to Okta identities by login) and their
// group memberships, pushed as they change.
export const scimUsers = pgTable(
  "scim_users",
  {
    id: uuid("id").primaryKey(),
    userName: text("user_name").notNull(),
    externalId: text("external_id"),
    displayName: text("display_name"),
    resource: jsonb("resource").$type<Record<string, unknown>>().notNull(),
    active: boolean("active").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [uniqueIndex("scim_users_user_name_key").on(sql`lower(${t.userName})`)],
);

export const scimGroups = pgTable(
  "scim_groups",
  {
    id: uuid("id").primaryKey(),
    displayName: text("display_name").notNull(),
    externalId: text("external_id"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [uniqueIndex("scim_groups_display_name_key").on(t.displayName)],
);

export const scimGroupMembers = pgTable(
  "scim_group_members",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => scimGroups.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => scimUsers.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("scim_group_members_user_idx").on(t.userId)],
);

export type ScimUserRow = typeof scimUsers.$inferSelect;
export type ScimGroupRow = typeof scimGroups.$inferSelect;

// Durable notification outbox: rows are written in the same transaction as the state change they
// announce; a worker claims them (lease), delivers, and records every attempt. At-least-once, with
// `event_id` for receivers to de-duplicate.
export const outboxStatus = pgEnum("outbox_status", ["pending", "sending", "delivered", "dead"]);

export const notificationOutbox = pgTable(
  "notification_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: uuid("event_id").notNull(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id),
    kind: text("kind").notNull(), // webhook | slack.post | slack.update | teams.post
    target: text("target").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: outboxStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    leaseUntil: ts("lease_until"),
    lastError: text("last_error"),
    createdAt: ts("created_at").notNull(),
    deliveredAt: ts("delivered_at"),
  },
  (t) => [
    uniqueIndex("notification_outbox_event_kind_key").on(t.eventId, t.kind, t.target),
    index("notification_outbox_due_idx").on(t.status, t.nextAttemptAt),
    index("notification_outbox_request_idx").on(t.requestId, t.id),
  ],
);

export const notificationAttempts = pgTable(
  "notification_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    outboxId: bigint("outbox_id", { mode: "number" })
      .notNull()
      .references(() => notificationOutbox.id),
    attempt: integer("attempt").notNull(),
    at: ts("at").notNull(),
    ok: boolean("ok").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("notification_attempts_outbox_idx").on(t.outboxId, t.attempt)],
);

export type OutboxRow = typeof notificationOutbox.$inferSelect;
export type NewOutboxRow = typeof notificationOutbox.$inferInsert;
export type AttemptRow = typeof notificationAttempts.$inferSelect;

// The Slack message posted for a request (one per request): later events update it in place.
// `channel` is the channel ID Slack answered with (chat.update does not accept channel names).
export const slackMessages = pgTable("slack_messages", {
  requestId: uuid("request_id")
    .primaryKey()
    .references(() => requests.id),
  channel: text("channel").notNull(),
  ts: text("ts").notNull(),
  postedAt: ts("posted_at").notNull(),
});

export type SlackMessageRow = typeof slackMessages.$inferSelect;

// ── evidence outside the database's word (SPEC §7) ─────────────────────────────────────────────

// The signed grant a successful execute returned (its JWS is not kept: the target holds it), and
// its one redemption by a target system.
export const grants = pgTable("grants", {
  /** The grant's `jti`. */
  id: uuid("id").primaryKey(),
  requestId: uuid("request_id")
    .notNull()
    .unique()
    .references(() => requests.id),
  kid: text("kid").notNull(),
  issuedAt: ts("issued_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
  redeemedAt: ts("redeemed_at"),
  /** Who redeemed it, as they said (and what authenticated them). */
  redeemedBy: jsonb("redeemed_by").$type<Record<string, unknown>>(),
});

export type GrantRow = typeof grants.$inferSelect;

// Signed chain heads: the sealer signs (seq, hash, time) at least every 10 s while events arrive,
// stores it here and appends it to a sink the database cannot reach.
export const auditCheckpoints = pgTable("audit_checkpoints", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  hash: text("hash").notNull(),
  signedAt: ts("signed_at").notNull(),
  kid: text("kid").notNull(),
  /** The compact JWS over {seq, hash, signed_at}. */
  jws: text("jws").notNull(),
});

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;

// Limits every instance shares (issue 12): the agent API's rate limit buckets, in the shape
// rate-limiter-flexible's Drizzle store reads and writes (key, points, expire).
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull(),
  expire: ts("expire"),
});

// Slack request signatures seen in the replay window, for every instance: a second sighting of
// one is a replay. Rows older than the window are pruned as new ones arrive.
export const slackSeenSignatures = pgTable(
  "slack_seen_signatures",
  {
    signature: text("signature").primaryKey(),
    seenAt: ts("seen_at").notNull(),
  },
  (t) => [index("slack_seen_signatures_seen_at_idx").on(t.seenAt)],
);

// Audit exports running anywhere (issue 12): one row per slot, held by a running export and renewed
// while it streams; a lease its holder stopped renewing (a crashed instance) lapses.
export const exportLeases = pgTable("export_leases", {
  slot: integer("slot").primaryKey(),
  holder: uuid("holder").notNull(),
  expiresAt: ts("expires_at").notNull(),
});
