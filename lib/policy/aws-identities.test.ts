import { describe, expect, it } from "vitest";
import { CountersignError } from "@/lib/errors";
import { agentForAwsCaller, arnPatternProblem, matchAwsIdentity } from "./aws-identities";
import { parsePolicy, PolicyError } from "./load";

const BASE = `version: 1
roles:
  reviewer: [oncall]
approver_groups:
  oncall: [oncall]
rules:
  - name: catch-all
    decision: require_approval
    risk: 40
    approvers: [oncall]
`;

const withIdentities = (yaml: string) => parsePolicy(`${BASE}aws_identities:\n${yaml}`, "policy.yaml");

function problems(yaml: string): string[] {
  try {
    withIdentities(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).message.split("\n").slice(1);
  }
  throw new Error("expected the policy to be rejected");
}

const policy = withIdentities(`  - arn: "arn:aws:sts::123456789012:assumed-role/deploy-*/*"
    agent: deploy-pipeline
  - account: "123456789012"
    role: "ci-{build,test}"
    session: "gh-*"
    agent: ci
  - arn: "arn:aws:iam::123456789012:user/bots/**"
    agent: bots
  - account: "210987654321"
    agent: sandbox
`);

describe("matching a caller ARN to an agent (first match wins)", () => {
  it("ARN globs: `*` stays within one part of the ARN, `**` crosses IAM paths", () => {
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/deploy-prod/run-1")).toEqual({ agent: "deploy-pipeline", rule: 0 });
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/deployer/run-1")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/deploy-prod/.hidden")).toEqual({ agent: "deploy-pipeline", rule: 0 });
    expect(matchAwsIdentity(policy, "arn:aws:iam::123456789012:user/bots/eu/scanner")).toEqual({ agent: "bots", rule: 2 });
    expect(matchAwsIdentity(policy, "arn:aws:iam::123456789012:user/humans/alice")).toBeNull();
  });

  it("the account, role and session shorthands", () => {
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/ci-build/gh-991")).toEqual({ agent: "ci", rule: 1 });
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/ci-build/laptop")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/ci-deploy/gh-1")).toBeNull();
    // A role shorthand names role sessions, never an IAM user of the same name.
    expect(matchAwsIdentity(policy, "arn:aws:iam::123456789012:user/ci-build")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:iam::210987654321:user/anyone")).toEqual({ agent: "sandbox", rule: 3 });
    expect(matchAwsIdentity(policy, "arn:aws:sts::210987654321:assumed-role/any/one")).toEqual({ agent: "sandbox", rule: 3 });
  });

  it("another account with the same role names, the root user and junk match nothing", () => {
    expect(matchAwsIdentity(policy, "arn:aws:sts::999999999999:assumed-role/deploy-prod/run-1")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:sts::999999999999:assumed-role/ci-build/gh-1")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:iam::210987654321:root")).toBeNull();
    expect(matchAwsIdentity(policy, "arn:aws:sts::123456789012:assumed-role/deploy-prod/run-1 ")).toBeNull();
    expect(matchAwsIdentity(policy, "")).toBeNull();
  });

  it("no entry: 401 invalid_token, check no_matching_identity; a policy without the section maps nobody", () => {
    const error = (() => {
      try {
        agentForAwsCaller(policy, "arn:aws:sts::999999999999:assumed-role/x/y");
      } catch (e) {
        return e as CountersignError;
      }
    })();
    expect([error?.code, error?.status, error?.issues[0]?.path]).toEqual(["invalid_token", 401, "no_matching_identity"]);
    const none = parsePolicy(BASE, "policy.yaml");
    expect(none.awsIdentities).toEqual([]);
    expect(matchAwsIdentity(none, "arn:aws:sts::123456789012:assumed-role/deploy-prod/run-1")).toBeNull();
  });
});

describe("aws_identities in the policy file: strict, with messages that say what to write", () => {
  it("refuses a wildcard account: it would admit roles in anyone's AWS account", () => {
    expect(arnPatternProblem("arn:aws:sts::*:assumed-role/deploy/*")).toMatch(/12 digits/);
    expect(problems(`  - { arn: "arn:aws:sts::12345678901?:assumed-role/deploy/*", agent: a1 }\n`)).toEqual([
      expect.stringMatching(/aws_identities\[0\]\.arn: the account in .* must be written out as 12 digits/),
    ]);
  });

  it("refuses patterns GetCallerIdentity never returns, and what is not an ARN", () => {
    expect(arnPatternProblem("arn:aws:iam::123456789012:role/deploy")).toMatch(/assumed-role\/ROLE\/SESSION/);
    expect(arnPatternProblem("arn:aws:iam::123456789012:root")).toMatch(/must name role sessions/);
    expect(arnPatternProblem("deploy-*")).toMatch(/not an ARN pattern/);
    expect(arnPatternProblem("arn:aws:sts::123456789012:assumed-role/deploy-*/*")).toBeUndefined();
  });

  it("an unquoted account id is a YAML number: asked to be quoted", () => {
    expect(problems(`  - { account: 012345678901, agent: a1 }\n`)).toEqual([expect.stringMatching(/aws_identities\[0\]\.account: quote the account id/)]);
  });

  it("arn or account, not both nor neither; session needs role; names without '/'; agent names; unknown keys", () => {
    expect(problems(`  - { arn: "arn:aws:sts::123456789012:assumed-role/a/*", account: "123456789012", agent: a1 }\n`)).toEqual([
      expect.stringMatching(/aws_identities\[0\]\.arn: give either arn, or account/),
    ]);
    expect(problems(`  - { agent: a1 }\n`)).toEqual([expect.stringMatching(/aws_identities\[0\]\.account: is required/)]);
    expect(problems(`  - { account: "123456789012", session: "x", agent: a1 }\n`)).toEqual([
      expect.stringMatching(/aws_identities\[0\]\.role: is required with session/),
    ]);
    expect(problems(`  - { account: "123456789012", role: "path/role", agent: a1 }\n`)).toEqual([
      expect.stringMatching(/aws_identities\[0\]\.role: a role name has no "\/"/),
    ]);
    expect(problems(`  - { account: "123456789012", agent: "Deploy Bot" }\n`)).toEqual([expect.stringMatching(/aws_identities\[0\]\.agent: agent names/)]);
    expect(problems(`  - { account: "123456789012", agent: a1, roles: x }\n`)).toEqual([expect.stringMatching(/aws_identities\[0\]\.roles: unknown field|unknown key/)]);
  });
});
