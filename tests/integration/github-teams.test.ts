// GitHub sign-in mapping against a local stub of the GitHub API (/user, /user/emails,
// /user/memberships/orgs, /user/teams) that checks the bearer token as GitHub does.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchGitHubIdentity } from "@/lib/auth/github";
import { approverGroupsFor, rolesForGroups } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";

const TOKEN = "gho_test_token";
const calls: string[] = [];
let publicEmail: string | null = null;
let memberships = [
  { state: "active", organization: { login: "Acme" } },
  { state: "active", organization: { login: "other-org" } },
];
let emails = [
  { email: "octo@users.noreply.github.com", primary: false, verified: true },
  { email: "Octo@Acme.test", primary: true, verified: true },
];
const teams = [
  { slug: "SRE", organization: { login: "Acme" } },
  { slug: "security", organization: { login: "acme" } },
  { slug: "maintainers", organization: { login: "other-org" } },
];

const server = http.createServer((req, res) => {
  calls.push(req.url ?? "");
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Bad credentials"}');
    return;
  }
  const url = new URL(req.url ?? "/", "http://stub");
  const send = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (url.pathname === "/user") return send({ id: 583231, login: "octo", name: "Octo Cat", email: publicEmail });
  if (url.pathname === "/user/emails") return send(emails);
  if (url.pathname === "/user/memberships/orgs") return send(url.searchParams.get("page") === "1" ? memberships : []);
  if (url.pathname === "/user/teams") return send(url.searchParams.get("page") === "1" ? teams : []);
  res.writeHead(404).end();
});

let apiUrl = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("GitHub identity", () => {
  it("uses the numeric id, the verified primary e-mail, and names teams github:org/team", async () => {
    publicEmail = null;
    calls.length = 0;
    const id = await fetchGitHubIdentity(TOKEN, { apiUrl });
    expect(id).toEqual({
      id: "583231",
      login: "octo",
      name: "Octo Cat",
      email: "octo@acme.test",
      orgs: ["acme", "other-org"],
      groups: ["github:acme/security", "github:acme/sre", "github:other-org/maintainers"],
    });
    expect(calls).toEqual(["/user", "/user/emails", "/user/memberships/orgs?state=active&per_page=100&page=1", "/user/teams?per_page=100&page=1"]);
  });

  it("never takes the public profile e-mail: only a verified primary one, else none", async () => {
    publicEmail = "ceo@acme.test";
    expect((await fetchGitHubIdentity(TOKEN, { apiUrl })).email).toBe("octo@acme.test");
    emails = [
      { email: "octo@acme.test", primary: true, verified: false },
      { email: "octo@users.noreply.github.com", primary: false, verified: true },
    ];
    expect((await fetchGitHubIdentity(TOKEN, { apiUrl })).email).toBeNull();
    emails = [
      { email: "octo@users.noreply.github.com", primary: false, verified: true },
      { email: "Octo@Acme.test", primary: true, verified: true },
    ];
    publicEmail = null;
  });

  it("keeps only the configured orgs, and only teams of orgs the person is an active member of", async () => {
    const id = await fetchGitHubIdentity(TOKEN, { apiUrl, orgs: ["acme"] });
    expect(id.orgs).toEqual(["acme"]);
    expect(id.groups).toEqual(["github:acme/security", "github:acme/sre"]);
    const before = memberships;
    memberships = [{ state: "pending", organization: { login: "acme" } }];
    const outsider = await fetchGitHubIdentity(TOKEN, { apiUrl, orgs: ["acme"] });
    expect(outsider.orgs).toEqual([]);
    expect(outsider.groups).toEqual([]);
    memberships = before;
  });

  it("maps teams to console roles and approver groups through the policy file", async () => {
    const policy = await getActivePolicy();
    const groups = ["github:acme/sre"];
    // tests/fixtures/policy.yaml names no GitHub teams: a GitHub user there gets no role at all.
    expect(rolesForGroups(policy, groups)).toEqual([]);
    const { parsePolicy } = await import("@/lib/policy/load");
    const fs = await import("node:fs");
    const shipped = parsePolicy(fs.readFileSync("policy.yaml", "utf8"), "policy.yaml");
    expect(rolesForGroups(shipped, groups)).toEqual(["reviewer"]);
    expect(approverGroupsFor(shipped, groups)).toEqual(["platform-oncall"]);
  });

  it("fails loudly on a bad token rather than signing in with no groups", async () => {
    await expect(fetchGitHubIdentity("wrong", { apiUrl })).rejects.toThrow("GitHub API /user answered 401");
  });
});
