import { describe, expect, it } from "vitest";
import {
  approverGroupsFor,
  bulkSize,
  evaluatePolicy,
  matchingRule,
  NO_MATCHING_RULE,
  riskLevel,
  rolesForGroups,
} from "./evaluate";
import { parsePolicy } from "./load";
import type { PolicyInput } from "./types";

const policy = parsePolicy(
  `version: 1
roles:
  admin: [admins]
  reviewer: [oncall, sec, "github:acme/sre", data]
  auditor: [compliance]
approver_groups:
  oncall: [oncall, "github:acme/sre"]
  security: [sec]
  data: [data]
  legal: [compliance]
rules:
  - name: no-prod-db-drops
    description: Dropping production databases is never allowed.
    match: { action: "db.*.drop", environment: production }
    decision: deny
    risk: 100
  - name: iam-changes
    description: IAM changes need security review
    match: { action: "iam.**" }
    decision: require_approval
    risk: 60
    approvals: 2
    approvers: [security]
    decision_deadline: 30m
    grant_window: 10m
  - name: read-only
    description: Reads change nothing.
    match: { action: "**.read" }
    decision: auto_approve
    risk: 0
  - name: prod-buckets
    match: { action: "storage.write", resource: "s3://prod-*/**" }
    decision: require_approval
    risk: 20
    approvers: [oncall, security, data]
  - name: quiet
    match: { action: "noop.*", environment: [development, staging] }
    decision: auto_approve
    risk: 0
  - name: legacy
    match: { action: "legacy.**" }
    decision: deny
    risk: 30
  - name: legal-hold
    match: { action: "legal.hold" }
    decision: require_approval
    risk: 29
    approvers: [legal]
`,
  "test-policy.yaml",
);

function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    action: "noop.ping",
    resource: "svc/api",
    environment: "development",
    context: {},
    onBehalfOf: "alice@acme.test",
    ...overrides,
  };
}

const quiet = { firstTimeAction: false };

describe("rule matching", () => {
  it("takes the first matching rule, in file order", () => {
    // iam.policy.read also matches read-only, but iam-changes comes first.
    expect(matchingRule(policy, input({ action: "iam.policy.read" })).name).toBe("iam-changes");
    expect(matchingRule(policy, input({ action: "db.customers.read" })).name).toBe("read-only");
  });

  it("matches on environment", () => {
    expect(matchingRule(policy, input({ action: "db.customers.drop", environment: "production" })).name).toBe(
      "no-prod-db-drops",
    );
    expect(matchingRule(policy, input({ action: "db.customers.drop", environment: "staging" }))).toBe(NO_MATCHING_RULE);
    expect(matchingRule(policy, input({ action: "noop.ping", environment: "staging" })).name).toBe("quiet");
    expect(matchingRule(policy, input({ action: "noop.ping", environment: "production" }))).toBe(NO_MATCHING_RULE);
  });

  it("matches on resource", () => {
    expect(matchingRule(policy, input({ action: "storage.write", resource: "s3://prod-logs/2024/a.gz" })).name).toBe(
      "prod-buckets",
    );
    expect(matchingRule(policy, input({ action: "storage.write", resource: "s3://dev-logs/a.gz" }))).toBe(
      NO_MATCHING_RULE,
    );
  });

  it("refuses anything no rule matches, including malformed action names", () => {
    for (const action of ["unknown.thing", "IAM.policy.update", "iam..policy", ""]) {
      const evaluation = evaluatePolicy(policy, input({ action }), quiet);
      expect(evaluation.rule.name).toBe("no-matching-rule");
      expect(evaluation.decision).toBe("deny");
    }
  });

  it("keeps the implicit rule immutable", () => {
    expect(Object.isFrozen(NO_MATCHING_RULE)).toBe(true);
    expect(Object.isFrozen(NO_MATCHING_RULE.match.environments)).toBe(true);
  });
});

describe("decisions and explanations", () => {
  it("require_approval: who, how many, and the self-approval rule", () => {
    const evaluation = evaluatePolicy(policy, input({ action: "iam.policy.update", environment: "staging" }), quiet);
    expect(evaluation).toMatchObject({
      decision: "require_approval",
      approvalsRequired: 2,
      approverGroups: ["security"],
      decisionDeadlineSeconds: 1800,
      grantWindowSeconds: 600,
      policyHash: policy.hash,
    });
    expect(evaluation.rule.name).toBe("iam-changes");
    expect(evaluation.explanation).toBe(
      'Matched rule "iam-changes" (IAM changes need security review). Needs 2 approvals from distinct members of ' +
        "security; the requester and the agent's owner cannot approve.",
    );
  });

  it("require_approval with one approval from several groups, no description", () => {
    const evaluation = evaluatePolicy(policy, input({ action: "storage.write", resource: "s3://prod-a/x" }), quiet);
    expect(evaluation.approvalsRequired).toBe(1);
    expect(evaluation.approverGroups).toEqual(["oncall", "security", "data"]);
    expect(evaluation.explanation).toBe(
      'Matched rule "prod-buckets". Needs 1 approval from a member of oncall, security or data; ' +
        "the requester and the agent's owner cannot approve.",
    );
  });

  it("auto_approve: nobody needs to approve", () => {
    const evaluation = evaluatePolicy(policy, input({ action: "db.customers.read" }), quiet);
    expect(evaluation).toMatchObject({ decision: "auto_approve", approvalsRequired: 0, approverGroups: [] });
    expect(evaluation.grantWindowSeconds).toBe(900);
    expect(evaluation.explanation).toBe(
      'Auto-approved by rule "read-only" (Reads change nothing). No human review is needed; the decision is recorded in the audit log.',
    );
  });

  it("deny: the rule's reason", () => {
    const evaluation = evaluatePolicy(policy, input({ action: "db.customers.drop", environment: "production" }), quiet);
    expect(evaluation).toMatchObject({ decision: "deny", approvalsRequired: 0, approverGroups: [] });
    expect(evaluation.explanation).toBe(
      'Refused by rule "no-prod-db-drops": Dropping production databases is never allowed.',
    );
    expect(evaluatePolicy(policy, input({ action: "legacy.job.run" }), quiet).explanation).toBe(
      'Refused by rule "legacy": the policy never allows this action here.',
    );
  });

  it("deny by the implicit rule names what was asked", () => {
    const evaluation = evaluatePolicy(policy, input({ action: "unknown.thing", environment: "staging" }), quiet);
    expect(evaluation.explanation).toBe(
      'Refused by rule "no-matching-rule": no rule in the policy matches action "unknown.thing" in staging, ' +
        "and what the policy does not allow is refused.",
    );
    expect(evaluation.risk.reasons[0]).toEqual({ code: "rule", points: 100, message: "rule no-matching-rule: base risk 100" });
  });
});

describe("step-up", () => {
  const stepUpPolicy = parsePolicy(
    `version: 1
roles: { reviewer: [oncall] }
approver_groups: { oncall: [oncall] }
rules:
  - name: secrets
    match: { action: "secrets.**" }
    decision: require_approval
    risk: 10
    approvers: [oncall]
    step_up: true
  - name: reads
    match: { action: "**.read" }
    decision: auto_approve
    risk: 90
  - name: rest
    match: { action: "**" }
    decision: require_approval
    risk: 60
    approvers: [oncall]
`,
    "step-up.yaml",
  );
  const at = (action: string, environment = "development", context: Record<string, unknown> = {}) =>
    evaluatePolicy(stepUpPolicy, input({ action, environment, context }), quiet);

  it("a rule asks for it; every critical request needs it whatever its rule says", () => {
    expect(at("secrets.token.rotate").stepUp).toBe(true);
    expect(at("deploy.service.release").stepUp).toBe(false);
    const heavy = at("deploy.service.release", "production", { row_count: 500_000 });
    expect(heavy.risk.level).toBe("critical");
    expect(heavy.stepUp).toBe(true);
  });

  it("means nothing where no human approves", () => {
    expect(at("warehouse.table.read", "production", { row_count: 500_000 })).toMatchObject({ decision: "auto_approve", stepUp: false });
  });

  it("is refused on rules that do not ask for approval, with the line", () => {
    expect(() =>
      parsePolicy(
        `version: 1
roles: { reviewer: [oncall] }
approver_groups: { oncall: [oncall] }
rules:
  - name: never
    match: { action: "db.**" }
    decision: deny
    risk: 100
    step_up: true
`,
        "bad.yaml",
      ),
    ).toThrow(/bad\.yaml:9:\d+ rules\[0\]\.step_up: only applies to require_approval rules/);
  });
});

describe("risk", () => {
  it("starts from the rule's base risk, stated as the first reason", () => {
    const { risk } = evaluatePolicy(policy, input({ action: "legal.hold" }), quiet);
    expect(risk).toEqual({
      score: 29,
      level: "low",
      reasons: [{ code: "rule", points: 29, message: "rule legal-hold: base risk 29" }],
    });
  });

  it("adds the environment's points, and nothing for a zero-point environment", () => {
    const staging = evaluatePolicy(policy, input({ action: "legal.hold", environment: "staging" }), quiet).risk;
    expect(staging.reasons).toEqual([
      { code: "rule", points: 29, message: "rule legal-hold: base risk 29" },
      { code: "environment", points: 10, message: "staging environment" },
    ]);
    expect(staging.score).toBe(39);
    expect(evaluatePolicy(policy, input({ action: "legal.hold", environment: "qa" }), quiet).risk.score).toBe(29);
  });

  it("adds production points, and 5 more when no human is on whose behalf", () => {
    const attended = evaluatePolicy(policy, input({ action: "legal.hold", environment: "production" }), quiet).risk;
    expect(attended.score).toBe(54);
    for (const onBehalfOf of [undefined, null, "", "   "]) {
      const unattended = evaluatePolicy(
        policy,
        input({ action: "legal.hold", environment: "production", onBehalfOf }),
        quiet,
      ).risk;
      expect(unattended.score).toBe(59);
      expect(unattended.reasons.at(-1)).toEqual({
        code: "no_on_behalf_of",
        points: 5,
        message: "no human on whose behalf the agent acts",
      });
    }
    // Outside production, an unattended agent is not a signal.
    expect(
      evaluatePolicy(policy, input({ action: "legal.hold", environment: "staging", onBehalfOf: null }), quiet).risk.score,
    ).toBe(39);
  });

  it("adds 10 the first time this agent performs the action", () => {
    const { risk } = evaluatePolicy(policy, input({ action: "legal.hold" }), { firstTimeAction: true });
    expect(risk.score).toBe(39);
    expect(risk.reasons[1]).toEqual({
      code: "first_time_action",
      points: 10,
      message: "first time this agent performs legal.hold",
    });
  });

  it.each([
    [{ row_count: 999 }, undefined],
    [{ row_count: 1_000 }, { points: 10, message: "bulk operation: 1,000 rows" }],
    [{ rows: 99_999 }, { points: 10, message: "bulk operation: 99,999 rows" }],
    [{ row_count: 100_000 }, { points: 20, message: "bulk operation: 100,000 rows" }],
    [{ row_count: 250_000 }, { points: 20, message: "bulk operation: 250,000 rows" }],
    [{ records: 5_000 }, { points: 10, message: "bulk operation: 5,000 records" }],
    [{ count: 2_000 }, { points: 10, message: "bulk operation: 2,000 items" }],
    [{ bulk_size: "150000" }, { points: 20, message: "bulk operation: 150,000 items" }],
    [{ items: Array.from({ length: 1_500 }, (_, i) => i) }, { points: 10, message: "bulk operation: 1,500 items" }],
    [{ targets: Array.from({ length: 1_000 }, () => "host") }, { points: 10, message: "bulk operation: 1,000 targets" }],
    [{ count: 3, row_count: 120_000 }, { points: 20, message: "bulk operation: 120,000 rows" }],
    [{ row_count: -5_000, rows: Number.NaN, count: "lots", items: 5_000_000 }, { points: 20, message: "bulk operation: 5,000,000 items" }],
    [{ total: 1_000_000 }, undefined],
  ])("bulk size from context %j", (context, expected) => {
    const { risk } = evaluatePolicy(policy, input({ action: "legal.hold", context }), quiet);
    const bulk = risk.reasons.find((r) => r.code === "bulk_operation");
    if (expected === undefined) {
      expect(bulk).toBeUndefined();
      expect(risk.score).toBe(29);
    } else {
      expect(bulk).toEqual({ code: "bulk_operation", ...expected });
      expect(risk.score).toBe(29 + expected.points);
    }
  });

  it("bulkSize ignores inherited keys", () => {
    expect(bulkSize(Object.create({ row_count: 1_000_000 }) as Record<string, unknown>)).toBeUndefined();
  });

  it("lists reasons in a fixed order and caps the score at 100", () => {
    const { risk } = evaluatePolicy(
      policy,
      input({ action: "iam.role.attach", environment: "production", onBehalfOf: null, context: { row_count: 200_000 } }),
      { firstTimeAction: true },
    );
    expect(risk.reasons.map((r) => [r.code, r.points])).toEqual([
      ["rule", 60],
      ["environment", 25],
      ["first_time_action", 10],
      ["bulk_operation", 20],
      ["no_on_behalf_of", 5],
    ]);
    expect(risk.score).toBe(100);
    expect(risk.level).toBe("critical");
  });

  it("a deny rule scores at least its base risk", () => {
    const { risk } = evaluatePolicy(policy, input({ action: "legacy.job.run" }), quiet);
    expect(risk.score).toBe(30);
    expect(risk.level).toBe("medium");
  });

  it.each([
    [0, "low"],
    [29, "low"],
    [30, "medium"],
    [59, "medium"],
    [60, "high"],
    [84, "high"],
    [85, "critical"],
    [100, "critical"],
  ] as const)("riskLevel(%i) is %s", (score, level) => {
    expect(riskLevel(score)).toBe(level);
  });

  it("crosses level boundaries through signals", () => {
    // legal-hold's base 29 is low; staging makes it 39 (medium); production without a human
    // 59 (still medium); a first time on top 69 (high).
    expect(evaluatePolicy(policy, input({ action: "legal.hold" }), quiet).risk.level).toBe("low");
    expect(evaluatePolicy(policy, input({ action: "legal.hold", environment: "staging" }), quiet).risk.level).toBe(
      "medium",
    );
    const unattended = input({ action: "legal.hold", environment: "production", onBehalfOf: null });
    expect(evaluatePolicy(policy, unattended, quiet).risk).toMatchObject({ score: 59, level: "medium" });
    expect(evaluatePolicy(policy, unattended, { firstTimeAction: true }).risk).toMatchObject({ score: 69, level: "high" });
    const heavy = input({ action: "iam.user.create", environment: "staging", context: { rows: 100_000 } });
    expect(evaluatePolicy(policy, heavy, quiet).risk).toMatchObject({ score: 90, level: "critical" });
  });

  it("is pure: the same input gives the same evaluation", () => {
    const request = input({ action: "iam.policy.update", environment: "production", context: { row_count: 5_000 } });
    expect(evaluatePolicy(policy, request, { firstTimeAction: true })).toEqual(
      evaluatePolicy(policy, request, { firstTimeAction: true }),
    );
  });
});

describe("membership helpers", () => {
  it("rolesForGroups: every role the groups grant, in a stable order", () => {
    expect(rolesForGroups(policy, ["compliance", "sec"])).toEqual(["reviewer", "auditor"]);
    expect(rolesForGroups(policy, ["admins", "oncall", "compliance"])).toEqual(["admin", "reviewer", "auditor"]);
    expect(rolesForGroups(policy, ["engineering"])).toEqual([]);
    expect(rolesForGroups(policy, [])).toEqual([]);
  });

  it("compares GitHub teams case-insensitively and Okta groups exactly", () => {
    expect(rolesForGroups(policy, ["github:Acme/SRE"])).toEqual(["reviewer"]);
    expect(rolesForGroups(policy, ["SEC"])).toEqual([]);
  });

  it("approverGroupsFor: names of the approver groups, in policy order", () => {
    expect(approverGroupsFor(policy, ["data", "github:acme/sre"])).toEqual(["oncall", "data"]);
    expect(approverGroupsFor(policy, ["sec"])).toEqual(["security"]);
    expect(approverGroupsFor(policy, ["admins"])).toEqual([]);
  });
});
