import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "./evaluate";
import { loadPolicyFile, parsePolicy, PolicyError } from "./load";
import type { PolicyInput } from "./types";

// The example policy shipped at the repository root is also the demo's policy and the reference
// documentation, so it must stay valid and keep doing what its comments say.
const shippedPath = fileURLToPath(new URL("../../policy.yaml", import.meta.url));

describe("the shipped policy.yaml", async () => {
  const policy = await loadPolicyFile(shippedPath);
  const decide = (overrides: Partial<PolicyInput>) =>
    evaluatePolicy(
      policy,
      { action: "noop", resource: "", environment: "production", context: {}, onBehalfOf: "dev@acme.test", ...overrides },
      { firstTimeAction: false },
    );

  it("parses", () => {
    expect(policy.rules.map((r) => r.name)).toEqual([
      "no-prod-db-drops",
      "iam-changes",
      "data-exports",
      "production-deploys",
      "staging-scale-restart",
      "read-only",
      "catch-all",
    ]);
    expect(Object.keys(policy.approverGroups)).toEqual(["platform-oncall", "security", "data-governance"]);
  });

  it("decides the demo requests as its comments say", () => {
    expect(decide({ action: "db.customers.drop" })).toMatchObject({ decision: "deny", rule: { name: "no-prod-db-drops" } });
    expect(decide({ action: "db.customers.drop", environment: "staging" })).toMatchObject({
      decision: "require_approval",
      rule: { name: "catch-all" },
    });
    expect(decide({ action: "iam.policy.update" })).toMatchObject({ approvalsRequired: 2, approverGroups: ["security"] });
    expect(decide({ action: "iam.policy.read" }).rule.name).toBe("iam-changes");
    expect(decide({ action: "data.export.customers", context: { row_count: 250_000 } })).toMatchObject({
      approverGroups: ["data-governance"],
      risk: { score: 90, level: "critical" },
    });
    expect(decide({ action: "deploy.api" })).toMatchObject({ approverGroups: ["platform-oncall"], approvalsRequired: 1 });
    expect(decide({ action: "deploy.api", environment: "staging" }).rule.name).toBe("catch-all");
    expect(decide({ action: "k8s.deployment.scale", environment: "staging" })).toMatchObject({
      decision: "auto_approve",
      grantWindowSeconds: 300,
    });
    expect(decide({ action: "k8s.deployment.scale" }).rule.name).toBe("catch-all");
    expect(decide({ action: "db.customers.describe" }).decision).toBe("auto_approve");
    expect(decide({ action: "something.new" })).toMatchObject({ decision: "require_approval", rule: { name: "catch-all" } });
  });

  it("its header's example error is the real one", async () => {
    const text = await readFile(shippedPath, "utf8");
    const example = /^#\s+(policy\.yaml:\d+:\d+ .*)$/m.exec(text)?.[1];
    expect(example).toBeDefined();
    const typo = text.replace("approvers: [security]", "approvers: [secuirty]");
    expect(() => parsePolicy(typo, "policy.yaml")).toThrow(PolicyError);
    try {
      parsePolicy(typo, "policy.yaml");
    } catch (error) {
      expect((error as PolicyError).message.split("\n").slice(1)).toEqual([example]);
    }
  });
});
