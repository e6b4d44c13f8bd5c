// The agent API's wire shapes as the SDK sees them (the server's OpenAPI document at
// /api/openapi.json is the reference: components Request, CreateRequest, ExecutedRequest, GrantClaims).

export type RequestStatus = "pending" | "approved" | "denied" | "expired" | "cancelled" | "executed";
export type RiskLevel = "low" | "medium" | "high" | "critical";
export type PolicyDecision = "require_approval" | "auto_approve" | "deny";
export type ResultStatus = "succeeded" | "failed";
export type JsonObject = { [key: string]: unknown };

/** What an agent files: the action, the thing it acts on, where, why, and the exact parameters. */
export type ApprovalRequest = {
  /** Dotted lower-case name the policy matches, e.g. `db.migrate`, `iam.policy.update`. */
  action: string;
  /** What it acts on, e.g. `postgres://orders-primary` or `arn:aws:iam::123:role/deployer`. */
  resource: string;
  /** Lower-case environment name, e.g. `production`. */
  environment: string;
  /** Why, in words a reviewer reads. */
  intent: string;
  /** The exact parameters (argv, SQL, a diff, …): hashed into params_hash and bound into the grant. */
  context?: JsonObject;
  origin?: { run_id?: string; trace_id?: string; model?: string; tool?: string; host?: string };
  on_behalf_of?: string;
  callback_url?: string;
};

/** The parameters params_hash covers. */
export type ApprovedParameters = Pick<ApprovalRequest, "action" | "resource" | "environment" | "context">;

export type Review = {
  reviewer: string;
  name: string;
  decision: "approve" | "deny";
  note: string | null;
  channel: string;
  at: string;
};

export type RequestView = {
  id: string;
  status: RequestStatus;
  action: string;
  resource: string;
  environment: string;
  intent: string;
  context: JsonObject;
  origin: JsonObject;
  /**
   * The workload identity the agent authenticated with when it filed (set by the server from a
   * verified token; null with a static key): the request's authenticated origin.
   */
  workload_identity?:
    | { kind: "oidc"; issuer: string; subject: string; claims: Record<string, string>; context?: Record<string, string> }
    | { kind: "aws"; arn: string; account: string }
    | null;
  on_behalf_of: string | null;
  callback_url: string | null;
  params_hash: string;
  agent: { id: string; name: string; owner: string };
  risk: { score: number; level: RiskLevel; reasons: { code: string; points: number; message: string }[] };
  policy: {
    rule: string;
    decision: PolicyDecision;
    hash: string;
    explanation: string;
    approver_groups: string[];
    step_up: boolean;
  };
  approvals: { count: number; required: number };
  reviews: Review[];
  decision_deadline: string;
  grant_expires_at: string | null;
  created_at: string;
  decided_at: string | null;
  executed_at: string | null;
  result: { status: ResultStatus; detail: JsonObject | null; at: string } | null;
};

/** POST /requests/{id}/execute's answer: the request, now executed, and its signed grant. */
export type ExecutedRequest = RequestView & { grant: string };

/** The payload of a grant (a compact JWS, EdDSA, typ countersign-grant+jwt). */
export type GrantClaims = {
  iss: string;
  /** The request id. */
  sub: string;
  /** The grant id: POST /api/v1/grants/{jti}/redeem. */
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  agent: { id: string; name: string };
  action: string;
  resource: string;
  environment: string;
  params_hash: string;
  approvals: { person_id: string; name: string; approved_at: string; channel: string }[];
  policy: { rule: string; hash: string; decision: PolicyDecision };
};

/** A claimed approval: the grant token to hand to the target system, and its verified claims. */
export type Grant = {
  token: string;
  claims: GrantClaims;
  /** The request, as executed. */
  request: RequestView;
};
