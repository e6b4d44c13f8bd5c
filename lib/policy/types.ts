// Shapes shared by the policy loader, the evaluator and the request lifecycle.
import type { ConsoleRole, PolicyDecision, RiskLevel } from "@/lib/vocabulary";

// The word lists live in lib/vocabulary.ts; re-exported for the policy's many readers.
export type { ConsoleRole, PolicyDecision, RiskLevel };

export type PolicyRule = {
  name: string;
  description?: string;
  match: {
    /** Dotted action glob: `*` is one segment, `**` any number (`iam.**`, `db.*.drop`). */
    action: string;
    /** Environment names this rule covers; `["*"]` means any. */
    environments: string[];
    /** Resource glob (picomatch); `**` matches anything. */
    resource: string;
  };
  decision: PolicyDecision;
  risk: number;
  approvals: number;
  approvers: string[];
  decisionDeadlineSeconds: number;
  grantWindowSeconds: number;
  notify: { slackChannel?: string; teamsWebhook?: string };
  /** Approving needs a fresh sign-in (see PolicyEvaluation.stepUp). */
  stepUp: boolean;
  /** Who may approve alone in an emergency (absent: nobody; see lib/requests/break-glass.ts). */
  breakGlass?: BreakGlassPolicy;
  /** Remind the eligible approvers of a request still pending this long after it was filed. */
  remindAfterSeconds?: number;
  /** Make another approver group eligible for a request still pending this long after it was filed. */
  escalateAfter?: { seconds: number; to: string };
};

export type BreakGlassPolicy = {
  /** Approver groups whose members may break the glass. */
  groups: string[];
  /** Where the break-glass is announced, besides the rule's own channels. */
  notify: { slackChannel?: string; teamsWebhook?: string };
  /** The retrospective review is overdue (and escalated) this long after the break-glass. */
  reviewWithinSeconds: number;
};

export type Policy = {
  version: 1;
  /** SHA-256 (hex) of the policy file's bytes, stamped on every request. */
  hash: string;
  source: string;
  /** console role -> IdP groups granting it */
  roles: Record<ConsoleRole, string[]>;
  /** approver group name -> IdP groups that are members */
  approverGroups: Record<string, string[]>;
  /** environment name -> risk points added (e.g. production: 20) */
  environmentRisk: Record<string, number>;
  rules: PolicyRule[];
  /** Reference field -> URL template with one `{value}` (see lib/policy/links.ts); absent: shown as text. */
  links: PolicyLinks;
  /** `aws_identities:` — AWS callers (GetCallerIdentity ARNs) and the agent each acts as; first match wins. */
  awsIdentities: AwsIdentityRule[];
  /** OIDC issuers whose tokens authenticate an agent in place of its key (lib/auth/workload-identity.ts). */
  workloadIdentities: WorkloadIdentityRule[];
};

export type WorkloadIdentityRule = {
  /** Compared exactly with the token's `iss` (no trailing-slash folding). */
  issuer: string;
  /** Required in the token's `aud`. */
  audience: string;
  /** Claim name -> globs (the resource glob rules); every named claim must match one of its globs. */
  match: Record<string, string[]>;
  /** The registered agent's name the matching workload acts as. */
  agent: string;
};

/** One `aws_identities` entry: an ARN glob, or an account narrowed by role and session name globs. */
export type AwsIdentityRule =
  | { arn: string; agent: string }
  | { account: string; role?: string; session?: string; agent: string };

/** The reference fields a request page can link to a tracker: origin.run_id, origin.trace_id, the context's ticket fields. */
export const LINK_FIELDS = ["run_id", "trace_id", "ticket"] as const;
export type LinkField = (typeof LINK_FIELDS)[number];
export type PolicyLinks = Partial<Record<LinkField, string>>;

export type RiskReason = { code: string; points: number; message: string };

export type PolicySignals = {
  /** True when this agent has never filed a request for this action before. */
  firstTimeAction: boolean;
};

export type PolicyInput = {
  action: string;
  resource: string;
  environment: string;
  context: Record<string, unknown>;
  onBehalfOf?: string | null;
};

export type PolicyEvaluation = {
  rule: PolicyRule;
  decision: PolicyDecision;
  risk: { score: number; level: RiskLevel; reasons: RiskReason[] };
  approvalsRequired: number;
  approverGroups: string[];
  decisionDeadlineSeconds: number;
  grantWindowSeconds: number;
  /**
   * Approving needs an authentication no older than STEP_UP_MAX_AGE: rules that ask for it, and
   * every critical request whatever its rule says.
   */
  stepUp: boolean;
  /** Human sentence: why this decision, and who may give the approval. */
  explanation: string;
  policyHash: string;
};
