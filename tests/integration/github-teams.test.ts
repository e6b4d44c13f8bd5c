// GitHub sign-in mapping against a local stub of the GitHub API (/user, /user/emails, /user/teams).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchGitHubIdentity } from "@/lib/auth/github";
import { approverGroupsFor, rolesForGroups } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";

const TOKEN = "gho_test_token";
const calls: string[] = [];
let publicEmail: string | null = null;
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
  if (url.pathname === "/user") return send({ login: "octo", name: "Octo Cat", email: publicEmail });
  if (url.pathname === "/user/emails")
    return send([
      { email: "octo@users.noreply.github.com", primary: false, verified: true },
      { email: "Octo@Acme.test", primary: true, verified: true },
    ]);
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
  it("uses the verified primary e-mail when the profile has none, and names teams github:org/team", async () => {
    publicEmail = null;
    calls.length = 0;
    const id = await fetchGitHubIdentity(TOKEN, { apiUrl });
    expect(id).toEqual({
      login: "octo",
      name: "Octo Cat",
      email: "octo@acme.test",
      groups: ["github:acme/security", "github:acme/sre", "github:other-org/maintainers"],
    });
    expect(calls).toEqual(["/user", "/user/emails", "/user/teams?per_page=100&page=1"]);
  });

  it("keeps only the configured orgs' teams and skips /user/emails when the profile has an e-mail", async () => {
    publicEmail = "octo@acme.test";
    calls.length = 0;
    const id = await fetchGitHubIdentity(TOKEN, { apiUrl, orgs: ["acme"] });
    expect(id.groups).toEqual(["github:acme/security", "github:acme/sre"]);
    expect(calls).not.toContain("/user/emails");
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
