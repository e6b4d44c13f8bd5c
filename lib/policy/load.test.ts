import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resetEnvCache } from "@/lib/config/env";
import { getActivePolicy, loadPolicyFile, parsePolicy, PolicyError, setActivePolicyForTests } from "./load";

// A valid file; the bad ones below change one or two lines of it, so the expected line numbers
// can be read straight off this listing.
const VALID = `version: 1
roles:
  admin: [admins]
  reviewer: [oncall, sec]
  auditor: [compliance]
approver_groups:
  oncall: [oncall]
  security: [sec, "github:acme/security"]
rules:
  - name: no-drops
    match: { action: "db.*.drop", environment: production }
    decision: deny
    risk: 100
  - name: iam
    match: { action: "iam.**" }
    decision: require_approval
    risk: 60
    approvals: 2
    approvers:
      - security
  - name: catch-all
    decision: require_approval
    risk: 40
    approvers: [oncall]
`;

/** Replace line `n` (1-based) of VALID; `null` removes it. */
function edit(changes: Record<number, string | null>, base = VALID): string {
  return base
    .split("\n")
    .flatMap((line, i) => {
      const change = changes[i + 1];
      if (change === undefined) return [line];
      return change === null ? [] : [change];
    })
    .join("\n");
}

function problemLines(text: string): string[] {
  try {
    parsePolicy(text, "policy.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    const [header, ...lines] = (error as PolicyError).message.split("\n");
    expect(header).toBe(`Invalid policy file policy.yaml (${lines.length === 1 ? "1 problem" : `${lines.length} problems`}):`);
    return lines;
  }
  throw new Error("expected the policy to be rejected");
}

describe("parsePolicy: valid files", () => {
  it("parses the reference file into the domain shape with defaults resolved", () => {
    const policy = parsePolicy(VALID, "policy.yaml");
    expect(policy.version).toBe(1);
    expect(policy.source).toBe("policy.yaml");
    expect(policy.roles).toEqual({ admin: ["admins"], reviewer: ["oncall", "sec"], auditor: ["compliance"] });
    expect(policy.approverGroups).toEqual({ oncall: ["oncall"], security: ["sec", "github:acme/security"] });
    expect(policy.environmentRisk).toEqual({ production: 25, staging: 10, development: 0 });
    expect(policy.rules.map((r) => r.name)).toEqual(["no-drops", "iam", "catch-all"]);
    expect(policy.rules[0]).toEqual({
      name: "no-drops",
      match: { action: "db.*.drop", environments: ["production"], resource: "**" },
      decision: "deny",
      risk: 100,
      approvals: 0,
      approvers: [],
      decisionDeadlineSeconds: 3600,
      grantWindowSeconds: 900,
      notify: {},
      stepUp: false,
    });
    expect(policy.rules[1]).toMatchObject({ approvals: 2, approvers: ["security"], decisionDeadlineSeconds: 3600 });
    expect(policy.rules[2]).toMatchObject({
      match: { action: "**", environments: ["*"], resource: "**" },
      approvals: 1,
      grantWindowSeconds: 900,
    });
  });

  it("stamps the SHA-256 of the text", () => {
    const policy = parsePolicy(VALID, "policy.yaml");
    expect(policy.hash).toBe(createHash("sha256").update(VALID).digest("hex"));
    expect(parsePolicy(`${VALID}# a comment changes the hash\n`, "policy.yaml").hash).not.toBe(policy.hash);
  });

  it("applies the defaults section, per-rule overrides and a custom environment_risk", () => {
    const text = edit({
      9: `environment_risk: { production: 30, qa: 5 }
defaults: { decision_deadline: 2h, grant_window: 5m, approvals: 2 }
rules:`,
      24: `    approvers: [oncall]
    decision_deadline: 1 day
    grant_window: 90s
    notify: { slack_channel: "#oncall", teams_webhook: "https://example.webhook.office.com/x?sig=1" }`,
    });
    const policy = parsePolicy(text, "policy.yaml");
    expect(policy.environmentRisk).toEqual({ production: 30, qa: 5 });
    expect(policy.rules[1]).toMatchObject({ approvals: 2, decisionDeadlineSeconds: 7200, grantWindowSeconds: 300 });
    expect(policy.rules[2]).toMatchObject({
      approvals: 2,
      decisionDeadlineSeconds: 86_400,
      grantWindowSeconds: 90,
      notify: { slackChannel: "#oncall", teamsWebhook: "https://example.webhook.office.com/x?sig=1" },
    });
  });

  it("accepts an environment list, a resource glob and an auto_approve grant window", () => {
    const text = edit({
      21: `  - name: staging-restarts
    match: { action: "**.restart", environment: [staging, development], resource: "svc/*" }
    decision: auto_approve
    risk: 10
    grant_window: 5m
  - name: catch-all`,
    });
    const rule = parsePolicy(text, "policy.yaml").rules[2];
    expect(rule).toMatchObject({
      name: "staging-restarts",
      match: { action: "**.restart", environments: ["staging", "development"], resource: "svc/*" },
      decision: "auto_approve",
      approvals: 0,
      approvers: [],
      grantWindowSeconds: 300,
    });
  });

  it("returns a deeply frozen policy", () => {
    const policy = parsePolicy(VALID, "policy.yaml");
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules[1]?.approvers)).toBe(true);
    expect(Object.isFrozen(policy.roles.reviewer)).toBe(true);
  });
});

describe("parsePolicy: problems pinned to lines", () => {
  it("unknown approver group, at the list item", () => {
    expect(problemLines(edit({ 20: "      - secuirty" }))).toEqual([
      'policy.yaml:20:9 rules[1].approvers[0]: unknown approver group "secuirty"',
    ]);
    expect(problemLines(edit({ 24: "    approvers: [oncall, platform]" }))).toEqual([
      'policy.yaml:24:25 rules[2].approvers[1]: unknown approver group "platform"',
    ]);
  });

  it("bad durations", () => {
    expect(
      problemLines(
        edit({
          18: '    approvals: 2\n    decision_deadline: "30"',
          24: "    approvers: [oncall]\n    decision_deadline: 8d\n    grant_window: soon",
        }),
      ),
    ).toEqual([
      'policy.yaml:19:24 rules[1].decision_deadline: "30" needs a unit, such as "30m" or "30h"',
      'policy.yaml:26:24 rules[2].decision_deadline: "8d" is longer than the maximum of 7d',
      'policy.yaml:27:19 rules[2].grant_window: "soon" is not a duration; write a number and a unit, such as "30m", "1h" or "2d"',
    ]);
    expect(problemLines(edit({ 24: "    approvers: [oncall]\n    grant_window: 0s\n    decision_deadline: 1500ms" }))).toEqual([
      'policy.yaml:25:19 rules[2].grant_window: "0s" must be longer than zero',
      'policy.yaml:26:24 rules[2].decision_deadline: "1500ms" must be a whole number of seconds',
    ]);
    expect(problemLines(edit({ 24: "    approvers: [oncall]\n    grant_window: 25h" }))).toEqual([
      'policy.yaml:25:19 rules[2].grant_window: "25h" is longer than the maximum of 24h',
    ]);
  });

  it("a duration written as a bare YAML number", () => {
    expect(problemLines(edit({ 9: "defaults: { grant_window: 900 }\nrules:" }))).toEqual([
      'policy.yaml:9:27 defaults.grant_window: expected a duration with a unit, such as "30m" or "1h"; got the number 900',
    ]);
  });

  it("duplicate rule name, at the second name", () => {
    expect(problemLines(edit({ 21: "  - name: iam" }))).toEqual([
      'policy.yaml:21:11 rules[2].name: duplicate rule name "iam" (already used by rules[1])',
    ]);
  });

  it("unknown keys, each at the key, at any depth", () => {
    expect(
      problemLines(
        edit({
          1: "version: 1\nowner: platform",
          11: '    match: { action: "db.*.drop", env: production }',
          17: "    risk: 60\n    aprovals: 2\n    approver: [security]",
        }),
      ),
    ).toEqual([
      'policy.yaml:2:1 owner: unknown key "owner"',
      'policy.yaml:12:35 rules[0].match.env: unknown key "env"',
      'policy.yaml:19:5 rules[1].aprovals: unknown key "aprovals"',
      'policy.yaml:20:5 rules[1].approver: unknown key "approver"',
    ]);
  });

  it("YAML syntax errors", () => {
    expect(problemLines(edit({ 3: "  admin: [admins" }))).toEqual([
      "policy.yaml:4:3 YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(problemLines(edit({ 17: "    risk: 60\n    risk: 70" }))).toEqual([
      "policy.yaml:18:5 YAML syntax error: Map keys must be unique",
    ]);
  });

  it("an unquoted glob starting with * (a YAML alias)", () => {
    expect(problemLines(edit({ 15: "    match: { action: *.update }" }))).toEqual([
      'policy.yaml:15:22 "*.update" is read as a YAML alias, and no anchor "&.update" exists; quote values that start with "*", such as "*.read"',
    ]);
  });

  it("wrong types and out-of-range values, at the value", () => {
    expect(
      problemLines(
        edit({
          3: "  admin: countersign-admins",
          12: "    decision: refuse",
          13: '    risk: "100"',
          18: "    approvals: 11",
          19: "    approvers: security",
          20: null,
          23: "    risk: 40.5",
        }),
      ),
    ).toEqual([
      'policy.yaml:3:10 roles.admin: expected a list, got the string "countersign-admins"',
      'policy.yaml:12:15 rules[0].decision: must be one of require_approval, auto_approve, deny; got the string "refuse"',
      'policy.yaml:13:11 rules[0].risk: expected a number, got the string "100"',
      "policy.yaml:18:16 rules[1].approvals: must be at most 10, got the number 11",
      'policy.yaml:19:16 rules[1].approvers: expected a list, got the string "security"',
      "policy.yaml:22:11 rules[2].risk: expected a whole number, got the number 40.5",
    ]);
  });

  it("empty values and empty lists are reported at their key", () => {
    expect(problemLines(edit({ 7: "  oncall: []", 19: "    approvers:", 20: null }))).toEqual([
      "policy.yaml:7:3 approver_groups.oncall: must list at least 1",
      "policy.yaml:19:5 rules[1].approvers: expected a list, got an empty value",
    ]);
  });

  it("missing keys are reported at the mapping that lacks them", () => {
    expect(problemLines(edit({ 12: null }))).toEqual(["policy.yaml:10:5 rules[0].decision: is required"]);
    expect(problemLines(edit({ 24: null }))).toEqual([
      "policy.yaml:21:5 rules[2].approvers: is required: a require_approval rule must name at least one approver group",
    ]);
    expect(problemLines(edit({ 1: null }))).toEqual(["policy.yaml:1:1 version: is required (write `version: 1`)"]);
  });

  it("keys that do not fit the rule's decision", () => {
    expect(problemLines(edit({ 13: "    risk: 100\n    approvers: [security]\n    grant_window: 5m" }))).toEqual([
      "policy.yaml:14:5 rules[0].approvers: only applies to require_approval rules, and this rule's decision is deny",
      "policy.yaml:15:19 rules[0].grant_window: only applies to require_approval and auto_approve rules, and this rule's decision is deny",
    ]);
  });

  it("unknown and malformed environments", () => {
    expect(problemLines(edit({ 11: '    match: { action: "db.*.drop", environment: prodution }' }))).toEqual([
      'policy.yaml:11:48 rules[0].match.environment: unknown environment "prodution" (known: production, staging, development; add it to environment_risk)',
    ]);
    // A single name is checked as a one-item list; the report names the scalar, not "[0]".
    expect(problemLines(edit({ 11: '    match: { action: "db.*.drop", environment: Production }' }))).toEqual([
      'policy.yaml:11:48 rules[0].match.environment: environment names use lower-case letters, digits, "-" and "_", or "*" for any environment',
    ]);
  });

  it("bad action and resource globs", () => {
    expect(problemLines(edit({ 15: '    match: { action: "iam..**", resource: "" }' }))).toEqual([
      'policy.yaml:15:22 rules[1].match.action: action glob "iam..**" has an empty segment (check for ".." or a dot at either end)',
      "policy.yaml:15:43 rules[1].match.resource: resource glob must not be empty",
    ]);
  });

  it("a rule shadowed by an earlier one", () => {
    const text = `${VALID}  - name: never
    match: { action: "db.table.read" }
    decision: auto_approve
    risk: 0
`;
    expect(problemLines(text)).toEqual([
      'policy.yaml:25:5 rules[3]: rule "never" can never match: rule "catch-all" above it matches everything it would',
    ]);
  });

  it("bad names, groups and notify targets", () => {
    expect(
      problemLines(
        edit({
          4: '  reviewer: [oncall, "github:acme"]',
          8: '  Security: [sec, "github:acme/security"]',
          10: "  - name: No Drops",
          24: '    approvers: [oncall]\n    notify: { slack_channel: "sec-approvals", teams_webhook: "http://example.com/hook" }',
        }),
      ),
    ).toEqual([
      'policy.yaml:4:22 roles.reviewer[1]: GitHub teams are written "github:org/team-slug"',
      'policy.yaml:8:3 approver_groups.Security: approver group names use lower-case letters, digits, "-" and "_"',
      'policy.yaml:10:11 rules[0].name: rule names use lower-case letters, digits, "-" and "_"',
      'policy.yaml:20:9 rules[1].approvers[0]: unknown approver group "security"',
      'policy.yaml:25:30 rules[2].notify.slack_channel: expected a Slack channel such as "#sec-approvals" or a channel ID such as "C0123456789"',
      "policy.yaml:25:62 rules[2].notify.teams_webhook: expected the https:// URL of a Teams Workflows webhook",
    ]);
  });

  it("the reserved implicit rule name", () => {
    expect(problemLines(edit({ 21: "  - name: no-matching-rule" }))).toEqual([
      'policy.yaml:21:11 rules[2].name: "no-matching-rule" is reserved for the implicit deny',
    ]);
  });

  it("unsupported version", () => {
    expect(problemLines(edit({ 1: "version: 2" }))).toEqual([
      "policy.yaml:1:10 version: unsupported policy version 2; this Countersign reads version 1",
    ]);
  });

  it("empty file and non-mapping file", () => {
    expect(problemLines("")).toEqual([
      "policy.yaml:1:1 the policy file is empty; expected version, roles, approver_groups and rules",
    ]);
    expect(problemLines("# only a comment\n")).toEqual([
      "policy.yaml:1:1 the policy file is empty; expected version, roles, approver_groups and rules",
    ]);
    expect(problemLines("- a\n- b\n")).toEqual(["policy.yaml:1:1 expected a mapping, got a list"]);
  });

  it("exposes each problem with line, column and path", () => {
    try {
      parsePolicy(edit({ 20: "      - secuirty" }), "config/policy.yaml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const policyError = error as PolicyError;
      expect(policyError.name).toBe("PolicyError");
      expect(policyError.source).toBe("config/policy.yaml");
      expect(policyError.problems).toEqual([
        { line: 20, column: 9, path: "rules[1].approvers[0]", message: 'unknown approver group "secuirty"' },
      ]);
      expect(policyError.message).toBe(
        'Invalid policy file config/policy.yaml (1 problem):\nconfig/policy.yaml:20:9 rules[1].approvers[0]: unknown approver group "secuirty"',
      );
    }
  });
});

describe("loadPolicyFile and the active policy", () => {
  let dir: string | undefined;
  const originalEnv = process.env.COUNTERSIGN_POLICY;

  afterEach(async () => {
    setActivePolicyForTests(null);
    if (originalEnv === undefined) delete process.env.COUNTERSIGN_POLICY;
    else process.env.COUNTERSIGN_POLICY = originalEnv;
    resetEnvCache();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function tempFile(text: string): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), "countersign-policy-"));
    const file = join(dir, "policy.yaml");
    await writeFile(file, text);
    return file;
  }

  it("reads and hashes a file", async () => {
    const file = await tempFile(VALID);
    const policy = await loadPolicyFile(file);
    expect(policy.source).toBe(file);
    expect(policy.hash).toBe(createHash("sha256").update(VALID).digest("hex"));
  });

  it("names a missing file clearly", async () => {
    await expect(loadPolicyFile("/nonexistent/policy.yaml")).rejects.toThrow(
      "/nonexistent/policy.yaml: cannot read the policy file (no such file); set COUNTERSIGN_POLICY to its path",
    );
  });

  it("loads COUNTERSIGN_POLICY once and caches it", async () => {
    process.env.COUNTERSIGN_POLICY = await tempFile(VALID);
    resetEnvCache();
    const first = getActivePolicy();
    expect(getActivePolicy()).toBe(first);
    expect((await first).rules).toHaveLength(3);
  });

  it("does not cache a failure, so a fixed file is picked up", async () => {
    const file = await tempFile("version: 2\n");
    process.env.COUNTERSIGN_POLICY = file;
    resetEnvCache();
    await expect(getActivePolicy()).rejects.toBeInstanceOf(PolicyError);
    await writeFile(file, VALID);
    await expect(getActivePolicy()).resolves.toMatchObject({ version: 1 });
  });

  it("lets tests install a policy", async () => {
    const policy = parsePolicy(VALID, "inline.yaml");
    setActivePolicyForTests(policy);
    await expect(getActivePolicy()).resolves.toBe(policy);
  });
});
