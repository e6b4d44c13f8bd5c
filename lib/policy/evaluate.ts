// Policy evaluation: which rule a request falls under, how risky it is and why, and who may decide
// it. Pure: same policy, input and signals give the same answer, with no clock and no I/O.
import { CONSOLE_ROLES, type ConsoleRole, type RiskLevel } from "@/lib/vocabulary";
import { matchesAction, matchesResource } from "./glob";
import { NO_MATCHING_RULE_NAME } from "./schema";
import type { Policy, PolicyEvaluation, PolicyInput, PolicyRule, PolicySignals, RiskReason } from "./types";

export { NO_MATCHING_RULE_NAME };

/**
 * What a request matching no rule falls under. Anything the policy does not mention is refused:
 * an agent inventing a new action must not slip through because nobody wrote a rule for it.
 */
export const NO_MATCHING_RULE: PolicyRule = {
  name: NO_MATCHING_RULE_NAME,
  description: "No rule in the policy matches this request, and what the policy does not allow is refused.",
  match: { action: "**", environments: ["*"], resource: "**" },
  decision: "deny",
  risk: 100,
  approvals: 0,
  approvers: [],
  decisionDeadlineSeconds: 0,
  grantWindowSeconds: 0,
  notify: {},
  stepUp: false,
};
// Shared by every evaluation that matches nothing; a caller mutating it would change them all.
const { match, approvers, notify } = NO_MATCHING_RULE;
for (const part of [NO_MATCHING_RULE, match, match.environments, approvers, notify]) Object.freeze(part);

export function matchingRule(policy: Policy, input: PolicyInput): PolicyRule {
  return (
    policy.rules.find(
      (rule) =>
        matchesAction(rule.match.action, input.action) &&
        (rule.match.environments.includes("*") || rule.match.environments.includes(input.environment)) &&
        matchesResource(rule.match.resource, input.resource),
    ) ?? NO_MATCHING_RULE
  );
}

export function evaluatePolicy(policy: Policy, input: PolicyInput, signals: PolicySignals): PolicyEvaluation {
  const rule = matchingRule(policy, input);
  const risk = scoreRisk(policy, rule, input, signals);
  return {
    rule,
    decision: rule.decision,
    risk,
    approvalsRequired: rule.decision === "require_approval" ? rule.approvals : 0,
    approverGroups: rule.decision === "require_approval" ? [...rule.approvers] : [],
    decisionDeadlineSeconds: rule.decisionDeadlineSeconds,
    grantWindowSeconds: rule.grantWindowSeconds,
    stepUp: rule.decision === "require_approval" && (rule.stepUp || risk.level === "critical"),
    explanation: explain(rule, input),
    policyHash: policy.hash,
  };
}

// ---------------------------------------------------------------------------------------------
// Risk. The rule's base risk plus signals, each kept as a reason so a reviewer sees the arithmetic.

export const FIRST_TIME_ACTION_POINTS = 10;
export const BULK_POINTS = 10;
export const LARGE_BULK_POINTS = 20;
export const BULK_THRESHOLD = 1_000;
export const LARGE_BULK_THRESHOLD = 100_000;
export const UNATTENDED_PRODUCTION_POINTS = 5;

/**
 * Context keys agents use for "how many things this touches", and the noun for the message. An
 * array counts by its length. All are read and the largest wins, so adding a small `count` next
 * to a huge `row_count` cannot talk the risk down.
 */
const BULK_KEYS: readonly (readonly [key: string, noun: string])[] = [
  ["row_count", "rows"],
  ["rows", "rows"],
  ["records", "records"],
  ["count", "items"],
  ["bulk_size", "items"],
  ["items", "items"],
  ["targets", "targets"],
];

export function riskLevel(score: number): RiskLevel {
  if (score < 30) return "low";
  if (score < 60) return "medium";
  if (score < 85) return "high";
  return "critical";
}

/** The largest "how many" the context states, with its noun, or undefined if it states none. */
export function bulkSize(context: Record<string, unknown>): { size: number; noun: string } | undefined {
  let largest: { size: number; noun: string } | undefined;
  for (const [key, noun] of BULK_KEYS) {
    if (!Object.hasOwn(context, key)) continue;
    const size = countOf(context[key]);
    if (size !== undefined && (largest === undefined || size > largest.size)) largest = { size, noun };
  }
  return largest;
}

function countOf(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  // JSON from shell scripts often carries numbers as strings; they count the same.
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function scoreRisk(
  policy: Policy,
  rule: PolicyRule,
  input: PolicyInput,
  signals: PolicySignals,
): PolicyEvaluation["risk"] {
  const reasons: RiskReason[] = [{ code: "rule", points: rule.risk, message: `rule ${rule.name}: base risk ${rule.risk}` }];

  const environmentPoints = Object.hasOwn(policy.environmentRisk, input.environment)
    ? (policy.environmentRisk[input.environment] ?? 0)
    : 0;
  if (environmentPoints > 0) {
    reasons.push({ code: "environment", points: environmentPoints, message: `${input.environment} environment` });
  }

  if (signals.firstTimeAction) {
    reasons.push({
      code: "first_time_action",
      points: FIRST_TIME_ACTION_POINTS,
      message: `first time this agent performs ${input.action}`,
    });
  }

  const bulk = bulkSize(input.context);
  if (bulk && bulk.size >= BULK_THRESHOLD) {
    reasons.push({
      code: "bulk_operation",
      points: bulk.size >= LARGE_BULK_THRESHOLD ? LARGE_BULK_POINTS : BULK_POINTS,
      message: `bulk operation: ${new Intl.NumberFormat("en-US").format(bulk.size)} ${bulk.noun}`,
    });
  }

  if (input.environment === "production" && !input.onBehalfOf?.trim()) {
    reasons.push({
      code: "no_on_behalf_of",
      points: UNATTENDED_PRODUCTION_POINTS,
      message: "no human on whose behalf the agent acts",
    });
  }

  const total = reasons.reduce((sum, reason) => sum + reason.points, 0);
  const score = Math.min(100, Math.max(0, total));
  return { score, level: riskLevel(score), reasons };
}

// ---------------------------------------------------------------------------------------------
// Explanation: the sentence a reviewer reads to learn why this needs them, and who else may decide.

function explain(rule: PolicyRule, input: PolicyInput): string {
  const because = rule.description ? ` (${rule.description.trim().replace(/\.$/, "")})` : "";
  switch (rule.decision) {
    case "deny":
      if (rule.name === NO_MATCHING_RULE_NAME) {
        return (
          `Refused by rule "${rule.name}": no rule in the policy matches action "${input.action}" ` +
          `in ${input.environment}, and what the policy does not allow is refused.`
        );
      }
      return `Refused by rule "${rule.name}": ${rule.description?.trim() || "the policy never allows this action here."}`;
    case "auto_approve":
      return `Auto-approved by rule "${rule.name}"${because}. No human review is needed; the decision is recorded in the audit log.`;
    case "require_approval": {
      const who =
        rule.approvals === 1
          ? `1 approval from a member of ${joinOr(rule.approvers)}`
          : `${rule.approvals} approvals from distinct members of ${joinOr(rule.approvers)}`;
      return `Matched rule "${rule.name}"${because}. Needs ${who}; the requester and the agent's owner cannot approve.`;
    }
  }
}

function joinOr(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

// ---------------------------------------------------------------------------------------------
// Membership: what a signed-in person's IdP groups entitle them to under this policy.

/**
 * GitHub org logins are case-insensitive and reach us in whatever case the API returns, so
 * `github:` groups compare in lower case; Okta group names compare exactly.
 */
function normalizeGroup(group: string): string {
  return group.toLowerCase().startsWith("github:") ? group.toLowerCase() : group;
}

function intersects(policyGroups: readonly string[], userGroups: ReadonlySet<string>): boolean {
  return policyGroups.some((group) => userGroups.has(normalizeGroup(group)));
}

/** Console roles granted by these IdP groups, in a stable order (admin, reviewer, auditor). */
export function rolesForGroups(policy: Policy, groups: readonly string[]): ConsoleRole[] {
  const userGroups = new Set(groups.map(normalizeGroup));
  return CONSOLE_ROLES.filter((role) => intersects(policy.roles[role], userGroups));
}

/** Names of the approver groups these IdP groups are members of, in policy order. */
export function approverGroupsFor(policy: Policy, groups: readonly string[]): string[] {
  const userGroups = new Set(groups.map(normalizeGroup));
  return Object.entries(policy.approverGroups)
    .filter(([, members]) => intersects(members, userGroups))
    .map(([name]) => name);
}
