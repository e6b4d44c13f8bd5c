// workload_identities in policy.yaml: what the file must say (an issuer URL, a required audience, at
// least one claim, an agent name) and how a verified token's claims are matched to an agent.
import { describe, expect, it } from "vitest";
import { parsePolicy, PolicyError } from "./load";
import { issuerProblem, matchWorkloadIdentity } from "./workload-identities";

const BASE = `version: 1
roles: { reviewer: [oncall] }
approver_groups: { oncall: [oncall] }
rules:
  - name: catch-all
    decision: require_approval
    risk: 40
    approvers: [oncall]
`;

const parse = (identities: string) => parsePolicy(`${BASE}workload_identities:\n${identities}`, "policy.yaml");
const problems = (identities: string): string[] => {
  try {
    parse(identities);
    return [];
  } catch (err) {
    if (err instanceof PolicyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
};

describe("workload_identities in the policy file", () => {
  it("reads a rule, a single glob becoming a list", () => {
    const policy = parse(`  - issuer: https://token.actions.githubusercontent.com
    audience: countersign
    match: { repository: "acme/*", ref: ["refs/heads/main", "refs/tags/v*"] }
    agent: deploy-pipeline
`);
    expect(policy.workloadIdentities).toEqual([
      {
        issuer: "https://token.actions.githubusercontent.com",
        audience: "countersign",
        match: { repository: ["acme/*"], ref: ["refs/heads/main", "refs/tags/v*"] },
        agent: "deploy-pipeline",
      },
    ]);
    expect(parsePolicy(BASE, "policy.yaml").workloadIdentities).toEqual([]);
  });

  it("refuses a rule without an audience, without claims, with an unknown key or a bad agent name", () => {
    expect(problems(`  - issuer: https://issuer.example\n    match: { sub: x }\n    agent: a1\n`)).toEqual(["workload_identities[0].audience: is required"]);
    expect(problems(`  - issuer: https://issuer.example\n    audience: cs\n    match: {}\n    agent: a1\n`)[0]).toMatch(/^workload_identities\[0\]\.match: must name at least one claim/);
    expect(problems(`  - issuer: https://issuer.example\n    audience: cs\n    agent: a1\n`)).toEqual(["workload_identities[0].match: is required"]);
    expect(problems(`  - issuer: https://issuer.example\n    audience: cs\n    match: { sub: x }\n    agent: a1\n    subject: y\n`)[0]).toMatch(/unknown key "subject"/);
    expect(problems(`  - issuer: https://issuer.example\n    audience: cs\n    match: { sub: x }\n    agent: Deploy Bot\n`)[0]).toMatch(/^workload_identities\[0\]\.agent:/);
  });

  it("refuses claim globs that would admit every workload: negations, extglobs, wildcards alone", () => {
    const rule = (glob: string) => `  - issuer: https://token.actions.githubusercontent.com
    audience: countersign
    match: { repository: ["acme/*", ${JSON.stringify(glob)}] }
    agent: deploy
`;
    // "acme except secret" written as a list would be "acme/* or anything but acme/secret".
    for (const glob of ["!acme/secret", "!(acme/secret)", "acme/@(x|y)", "*", "**", "*/*", "?"]) {
      const found = problems(rule(glob));
      expect(found.length, glob).toBe(1);
      expect(found[0]).toMatch(/^workload_identities\[0\]\.match\.repository/);
      expect(found[0]).toMatch(/negation or an extglob|wildcards alone/);
    }
    expect(problems(rule("acme-*/app"))).toEqual([]);
  });

  it("refuses issuers that are not https (http only on loopback), or carry a query or credentials", () => {
    expect(issuerProblem("https://token.actions.githubusercontent.com")).toBeUndefined();
    expect(issuerProblem("http://127.0.0.1:8080")).toBeUndefined();
    expect(issuerProblem("http://localhost:8080/issuer")).toBeUndefined();
    expect(issuerProblem("http://issuer.example")).toMatch(/https/);
    expect(issuerProblem("http://10.0.0.5")).toMatch(/https/);
    expect(issuerProblem("https://issuer.example/?x=1")).toMatch(/query/);
    expect(issuerProblem("https://user:pw@issuer.example")).toMatch(/credentials/);
    expect(issuerProblem("token.actions.githubusercontent.com")).toMatch(/URL/);
    expect(problems(`  - issuer: ftp://issuer.example\n    audience: cs\n    match: { sub: x }\n    agent: a1\n`)[0]).toMatch(/^workload_identities\[0\]\.issuer: issuers must be https/);
  });
});

describe("matchWorkloadIdentity", () => {
  const policy = parse(`  - issuer: https://gh.example
    audience: countersign
    match: { repository: "acme/*", ref: "refs/heads/main" }
    agent: deploy
  - issuer: https://gh.example
    audience: other
    match: { repository: "acme/*" }
    agent: other-audience
  - issuer: https://k8s.example
    audience: countersign
    match: { sub: "system:serviceaccount:payments:*" }
    agent: payments
`);

  it("matches the first rule whose issuer, audience and every claim match, with the policy's glob rules", () => {
    const claims = { repository: "acme/app", ref: "refs/heads/main" };
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["countersign"], claims)).toMatchObject({ rule: { agent: "deploy" }, matched: claims });
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["other"], claims)?.rule.agent).toBe("other-audience");
    expect(matchWorkloadIdentity(policy, "https://k8s.example", ["countersign"], { sub: "system:serviceaccount:payments:deployer" })?.rule.agent).toBe("payments");
  });

  it("never matches another issuer, another audience, a missing, non-string or glob-escaping claim", () => {
    const ok = { repository: "acme/app", ref: "refs/heads/main" };
    expect(matchWorkloadIdentity(policy, "https://gh.example/", ["countersign"], ok)).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://k8s.example", ["countersign"], ok)).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["nobody"], ok)).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["countersign"], { repository: "acme/app" })).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["countersign"], { ...ok, repository: "acme/app/x" })).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["countersign"], { ...ok, repository: "acmeX/app" })).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://gh.example", ["countersign"], { ...ok, ref: ["refs/heads/main"] })).toBeNull();
    expect(matchWorkloadIdentity(policy, "https://k8s.example", ["countersign"], { sub: "system:serviceaccount:payments-evil:x" })).toBeNull();
  });
});
