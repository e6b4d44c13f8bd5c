import { describe, expect, it } from "vitest";
import { isTicketKey, linkTemplateProblem, referenceLink } from "./links";
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

function problems(text: string): string[] {
  try {
    parsePolicy(text, "policy.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).message.split("\n").slice(1);
  }
  throw new Error("expected the policy to be rejected");
}

describe("link templates", () => {
  it("accept absolute http(s) URLs with {value}", () => {
    expect(linkTemplateProblem("https://ci.example.com/runs/{value}")).toBeNull();
    expect(linkTemplateProblem("http://jira.internal/browse/{value}?focus=1")).toBeNull();
  });

  it("refuse what is not one, saying why", () => {
    expect(linkTemplateProblem("https://ci.example.com/runs/")).toMatch(/must contain \{value\}/);
    expect(linkTemplateProblem("ci.example.com/{value}")).toMatch(/is not a URL/);
    expect(linkTemplateProblem("javascript:alert({value})")).toMatch(/http:\/\/ or https:\/\/ URL, not javascript:/);
    expect(linkTemplateProblem("ftp://files.example.com/{value}")).toMatch(/not ftp:/);
    expect(linkTemplateProblem("https://user:pw@ci.example.com/{value}")).toMatch(/user name or password/);
  });

  it("fill {value} percent-encoded, so a reference cannot leave the path segment", () => {
    const links = { run_id: "https://ci.example.com/runs/{value}", ticket: "https://jira.example.com/browse/{value}" };
    expect(referenceLink(links, "run_id", "gh-run-88412")).toBe("https://ci.example.com/runs/gh-run-88412");
    expect(referenceLink(links, "run_id", "../../admin?x=1#y")).toBe("https://ci.example.com/runs/..%2F..%2Fadmin%3Fx%3D1%23y");
    expect(referenceLink(links, "ticket", 553)).toBe("https://jira.example.com/browse/553");
    expect(referenceLink(links, "trace_id", "4bf92f")).toBeNull();
    expect(referenceLink(links, "run_id", "")).toBeNull();
    expect(referenceLink(links, "run_id", { id: 1 })).toBeNull();
  });

  it("name ticket fields by their key", () => {
    for (const key of ["ticket", "ticket_id", "change_ticket", "jira_ticket", "TICKET"]) expect(isTicketKey(key)).toBe(true);
    for (const key of ["tickets_sold", "ticketing", "argv", "sticket"]) expect(isTicketKey(key)).toBe(false);
  });
});

describe("the policy's links section", () => {
  it("is optional, and parsed when given", () => {
    expect(parsePolicy(BASE, "policy.yaml").links).toEqual({});
    const policy = parsePolicy(
      `${BASE}links:\n  run_id: "https://ci.example.com/runs/{value}"\n  ticket: "https://jira.example.com/browse/{value}"\n`,
      "policy.yaml",
    );
    expect(policy.links).toEqual({ run_id: "https://ci.example.com/runs/{value}", ticket: "https://jira.example.com/browse/{value}" });
  });

  it("reports a bad template or an unknown field at its line", () => {
    expect(problems(`${BASE}links:\n  trace_id: "ftp://traces/{value}"\n  build: "https://ci.example.com/{value}"\n`)).toEqual([
      "policy.yaml:12:13 links.trace_id: must be an http:// or https:// URL, not ftp:",
      'policy.yaml:13:3 links.build: unknown key "build"',
    ]);
    expect(problems(`${BASE}links:\n  trace_id: "https://traces.example.com/"\n`)).toEqual([
      'policy.yaml:12:13 links.trace_id: must contain {value} where the reference goes, e.g. "https://ci.example.com/runs/{value}"',
    ]);
  });
});
