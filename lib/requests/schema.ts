// The agent API's wire shapes: one zod schema per body and response, used both to validate and
// to generate /api/openapi.json.
import "@/lib/input/zod-config";
import { z } from "zod";
import { GRANT_TYP, grantClaims } from "@/lib/evidence/grant-claims";
import { BREAK_GLASS_REVIEW_STATES, POLICY_DECISIONS, REQUEST_STATUSES, RESULT_STATUSES, REVIEW_DECISIONS, RISK_LEVELS } from "@/lib/vocabulary";

export const LIMITS = {
  bodyBytes: 256 * 1024,
  contextBytes: 64 * 1024,
  intentChars: 4000,
  waitSeconds: 60,
  /** A reviewer's note on a vote, whichever door it comes through. */
  breakGlassReasonMinChars: 20,
  noteChars: 2000,
  /** A grant presented for redemption (ours are well under 2 KB). */
  grantChars: 16 * 1024,
  /** What a redeemer may say about itself. */
  redeemerBytes: 4 * 1024,
} as const;

const jsonObject = z.record(z.string(), z.unknown());

export const createRequestBody = z
  .strictObject({
    action: z
      .string()
      .min(3)
      .max(200)
      .regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/, "must be a dotted lower-case name such as iam.policy.update"),
    resource: z.string().min(1).max(1000),
    environment: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9_-]+$/, "must be a lower-case name such as production"),
    intent: z.string().trim().min(1).max(LIMITS.intentChars),
    context: jsonObject.default({}),
    origin: z
      .strictObject({
        run_id: z.string().max(200).optional(),
        trace_id: z.string().max(200).optional(),
        model: z.string().max(200).optional(),
        tool: z.string().max(200).optional(),
        host: z.string().max(200).optional(),
      })
      .default({}),
    on_behalf_of: z.email().max(320).optional(),
    callback_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  })
  .meta({ id: "CreateRequest", description: "An intended privileged action, filed before it runs." });

export type CreateRequestBody = z.infer<typeof createRequestBody>;

export const reportResultBody = z
  .strictObject({
    status: z.enum(RESULT_STATUSES),
    detail: jsonObject.optional(),
  })
  .meta({ id: "ReportResult" });

export const cancelBody = z.strictObject({ reason: z.string().max(1000).optional() }).meta({ id: "CancelRequest" });

/** `?wait=N`: a plain decimal integer of seconds, 0–60, written as one (no `1e1`, `0x10`, `+5`, ` 5`, `5.0` or empty). */
export const waitQuery = z.object({
  wait: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, "must be a whole number of seconds, written with digits only")
    .transform(Number)
    .pipe(z.number().int().min(0).max(LIMITS.waitSeconds))
    .optional(),
});

export const requestStatusEnum = z.enum(REQUEST_STATUSES);

export const requestView = z
  .object({
    id: z.uuid(),
    status: requestStatusEnum,
    action: z.string(),
    resource: z.string(),
    environment: z.string(),
    intent: z.string(),
    context: jsonObject,
    origin: jsonObject,
    workload_identity: z
      .union([
        z.object({
          kind: z.literal("oidc"),
          issuer: z.string(),
          subject: z.string(),
          claims: z.record(z.string(), z.string()),
          context: z.record(z.string(), z.string()).optional(),
        }),
        z.object({ kind: z.literal("aws"), arn: z.string(), account: z.string() }),
      ])
      .nullable()
      .optional()
      .meta({ description: "The workload identity the agent authenticated with when it filed (set by the server; null for a static key): the request's authenticated origin" }),
    on_behalf_of: z.string().nullable(),
    callback_url: z.string().nullable(),
    params_hash: z.string().meta({ description: "SHA-256 of RFC 8785 canonical JSON of {action, resource, environment, context}" }),
    agent: z.object({ id: z.uuid(), name: z.string(), owner: z.string() }),
    risk: z.object({
      score: z.number().int(),
      level: z.enum(RISK_LEVELS),
      reasons: z.array(z.object({ code: z.string(), points: z.number(), message: z.string() })),
    }),
    policy: z.object({
      rule: z.string(),
      decision: z.enum(POLICY_DECISIONS),
      hash: z.string(),
      explanation: z.string(),
      approver_groups: z.array(z.string()),
      step_up: z.boolean().meta({ description: "Approving needs a sign-in within the last 5 minutes" }),
      break_glass_groups: z
        .array(z.string())
        .nullable()
        .meta({ description: "Approver groups whose members may break the glass (approve alone, with a reason); null: not allowed" }),
    }),
    break_glass: z
      .object({
        by: z.string(),
        name: z.string(),
        reason: z.string(),
        at: z.iso.datetime(),
        review: z.object({
          state: z.enum(BREAK_GLASS_REVIEW_STATES),
          by: z.string().nullable(),
          name: z.string().nullable(),
          note: z.string().nullable(),
          at: z.iso.datetime().nullable(),
        }),
      })
      .nullable()
      .meta({ description: "Set for ever when someone approved the request alone through break-glass; its retrospective review" }),
    escalated_to: z.array(z.string()).meta({ description: "Approver groups made eligible by the rule's escalate_after" }),
    approvals: z.object({ count: z.number().int(), required: z.number().int() }),
    reviews: z.array(
      z.object({
        reviewer: z.string(),
        name: z.string(),
        decision: z.enum(REVIEW_DECISIONS),
        note: z.string().nullable(),
        channel: z.string(),
        at: z.iso.datetime(),
      }),
    ),
    decision_deadline: z.iso.datetime(),
    grant_expires_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    decided_at: z.iso.datetime().nullable(),
    executed_at: z.iso.datetime().nullable(),
    result: z
      .object({ status: z.enum(RESULT_STATUSES), detail: jsonObject.nullable(), at: z.iso.datetime() })
      .nullable(),
  })
  .meta({ id: "Request" });

export type RequestView = z.infer<typeof requestView>;

export const executedRequest = requestView
  .extend({
    grant: z.string().meta({
      description: `The signed grant: a compact JWS (EdDSA, header typ ${GRANT_TYP}, kid) whose payload is GrantClaims. Verify it with /.well-known/jwks.json; a target redeems it once at POST /api/v1/grants/{jti}/redeem. Returned by this one response only.`,
    }),
  })
  .meta({ id: "ExecutedRequest" });

export type ExecutedRequest = z.infer<typeof executedRequest>;

/** Who redeems a grant, as they describe themselves (stored and audited as sent). */
export const grantRedeemer = z
  .looseObject({ name: z.string().trim().min(1).max(200).meta({ description: "The target system, e.g. deploy-gateway" }) })
  .refine((r) => new TextEncoder().encode(JSON.stringify(r)).length <= LIMITS.redeemerBytes, `must be at most ${LIMITS.redeemerBytes} bytes of JSON`)
  .meta({ description: "The redeeming system: name, plus any other fields it wants recorded (host, version, run id)" });

export const redeemGrantBody = z
  .strictObject({
    grant: z.string().min(1).max(LIMITS.grantChars).meta({ description: "The grant (compact JWS) as returned by execute: the credential of this call" }),
    redeemer: grantRedeemer,
  })
  .meta({ id: "RedeemGrant" });

export const grantRedemption = z
  .object({
    id: z.uuid().meta({ description: "The grant id (jti)" }),
    request_id: z.uuid(),
    redeemed_at: z.iso.datetime(),
    redeemer: z.record(z.string(), z.unknown()),
    claims: grantClaims,
  })
  .meta({ id: "GrantRedemption" });

export type GrantRedemption = z.infer<typeof grantRedemption>;

// ── the reviewer API (a reviewer's personal token) ───────────────────────────────────────────

const refusal = z.object({ code: z.string(), message: z.string() });

export const reviewerStanding = z
  .object({
    may_approve: z.boolean(),
    may_deny: z.boolean(),
    why_not_approve: refusal.nullable().meta({ description: "Why an approval would be refused now (the rule a vote meets), or null" }),
    why_not_deny: refusal.nullable().meta({ description: "Why a denial would be refused now, or null" }),
  })
  .meta({ description: "What the token's person may do with this request now, their groups confirmed at this call" });

export const reviewView = requestView.extend({ you: reviewerStanding }).meta({ id: "Review" });
export type ReviewView = z.infer<typeof reviewView>;

export const reviewList = z
  .object({
    items: z.array(reviewView).meta({ description: "Pending requests the person may vote on now, riskiest then newest first" }),
    truncated: z.boolean().meta({ description: "More requests wait than one answer lists; decide some and ask again" }),
  })
  .meta({ id: "ReviewList" });
export type ReviewList = z.infer<typeof reviewList>;

export const decisionBody = z
  .strictObject({
    note: z.string().max(LIMITS.noteChars).optional().meta({ description: "Why; required to deny" }),
  })
  .meta({ id: "Decision" });

export const breakGlassBody = z
  .strictObject({
    reason: z
      .string()
      .max(LIMITS.noteChars)
      .meta({ description: `Why this cannot wait for the normal approvals; at least ${LIMITS.breakGlassReasonMinChars} characters` }),
  })
  .meta({ id: "BreakGlass" });

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: "Error" });
