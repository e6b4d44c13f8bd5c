// Agents without static keys (issue 16), end to end: a "pipeline" holding only an OIDC token from a
// local issuer standing in for GitHub Actions files a request through the SDK (the token exchanged
// at /api/v1/token for a short-lived agent token), waits; a reviewer signed in to the console sees
// the workload identity as the request's authenticated origin and approves; the pipeline claims and
// reports. The audit names the workload identity. A token for the wrong audience files nothing.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { ApiError, Countersign, oidcCredentials, type RequestView } from "@countersign/sdk";
import { startOidcIssuer, type OidcIssuer } from "../tests/support/oidc-issuer";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";

const riley = person("riley", ["platform-oncall"]);
const priya = person("priya", ["platform-oncall"]); // owns the agent

let issuer: OidcIssuer;
let stack: ConsoleStack;
let dir: string;
let sql: postgres.Sql;

const policy = (issuerUrl: string) => `version: 1
roles:
  reviewer: [platform-oncall]
approver_groups:
  platform-oncall: [platform-oncall]
environment_risk: { production: 25, staging: 10, development: 0 }
rules:
  - name: everything-else
    decision: require_approval
    risk: 20
    approvers: [platform-oncall]
workload_identities:
  - issuer: ${issuerUrl}
    audience: countersign
    match: { repository: "acme/*", ref: "refs/heads/main" }
    agent: deploy-bot
`;

const PIPELINE = { sub: "repo:acme/shop:ref:refs/heads/main", repository: "acme/shop", ref: "refs/heads/main", run_id: "777001", workflow: "deploy" };

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  issuer = await startOidcIssuer();
  dir = await mkdtemp(path.join(tmpdir(), "countersign-workload-"));
  const policyPath = path.join(dir, "policy.yaml");
  await writeFile(policyPath, policy(issuer.url));
  stack = await startConsole({
    prefix: "countersign_workload",
    agentOwner: priya.email,
    env: { COUNTERSIGN_POLICY: policyPath, COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS: "true" },
  });
  sql = postgres(stack.db.url, { max: 2, onnotice: () => {} });
});

test.afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await stack?.stop();
  await issuer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a pipeline with only an OIDC token files, waits, claims and reports; the console and the audit name its workload identity", async ({ page }) => {
  test.setTimeout(120_000);
  expect(process.env.COUNTERSIGN_KEY).toBeUndefined(); // no static key anywhere in this process
  const tokenFile = path.join(dir, "token");
  await writeFile(tokenFile, await issuer.sign(PIPELINE));
  const cs = new Countersign({ url: stack.server.url, credentials: oidcCredentials({ tokenFile }) });

  let filed: RequestView | undefined;
  const onFiled = (r: RequestView) => (filed = r);
  let ran = 0;
  const run = cs.withApproval(
    { action: "deploy.service", resource: "svc/shop", environment: "production", intent: "Release shop 1.4.2 from CI", context: { image: "shop:1.4.2" }, origin: { run_id: "777001" } },
    async () => {
      ran += 1;
      return "deployed";
    },
    { onFiled, timeout: 90_000 },
  );

  await expect.poll(() => filed?.id, { timeout: 30_000 }).toBeTruthy();
  expect(filed!.workload_identity).toMatchObject({ kind: "oidc", issuer: issuer.url, subject: PIPELINE.sub });

  // The reviewer sees the authenticated origin on the request page, then approves there.
  await signInWithOkta(page, stack, riley);
  await page.goto(`${stack.base}/requests/${filed!.id}`);
  const agentCard = page.getByRole("region", { name: "Agent and origin" });
  await expect(agentCard.getByTestId("workload-subject")).toHaveText(PIPELINE.sub);
  await expect(agentCard.getByTestId("workload-issuer")).toHaveText(issuer.url);
  await expect(agentCard.getByTestId("workload-claim-repository")).toContainText("acme/shop");
  await expect(agentCard.getByTestId("workload-claim-ref")).toContainText("refs/heads/main");
  await expect(agentCard.getByTestId("workload-claim-run_id")).toContainText("777001");
  await approveOnPage(page);

  expect(await run).toBe("deployed");
  expect(ran).toBe(1);

  const [row] = await sql<{ status: string; result_status: string | null; workload_identity: Record<string, unknown> }[]>`
    select status, result_status, workload_identity from requests where id = ${filed!.id}`;
  expect(row).toMatchObject({ status: "executed", result_status: "succeeded" });
  expect(row!.workload_identity).toMatchObject({ issuer: issuer.url, subject: PIPELINE.sub, claims: { repository: "acme/shop", ref: "refs/heads/main" } });

  const events = await sql<{ type: string; actor: Record<string, unknown>; payload: Record<string, unknown> }[]>`
    select type, actor, payload from audit_events where request_id = ${filed!.id} order by occurred_at`;
  const created = events.find((e) => e.type === "request.created")!;
  expect(created.actor).toMatchObject({ kind: "agent", display: "deploy-bot", issuer: issuer.url, subject: PIPELINE.sub });
  expect(created.payload.workload_identity).toMatchObject({
    kind: "oidc",
    issuer: issuer.url,
    subject: PIPELINE.sub,
    claims: { repository: "acme/shop", ref: "refs/heads/main" },
    context: { run_id: "777001", workflow: "deploy" },
  });
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["request.created", "request.executed", "request.result"]));
});

test("a token for another audience, or from a repository the policy does not name, files nothing", async () => {
  const before = (await sql<{ n: number }[]>`select count(*)::int as n from requests`)[0]!.n;
  for (const [claims, check] of [
    [{ ...PIPELINE, aud: "someone-else" }, "audience"],
    [{ ...PIPELINE, repository: "evil/shop" }, "no_matching_identity"],
  ] as const) {
    const cs = new Countersign({ url: stack.server.url, credentials: oidcCredentials({ token: await issuer.sign(claims) }) });
    const err = await cs.requestApproval({ action: "deploy.service", resource: "svc/shop", environment: "production", intent: "x", context: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: "invalid_token", issues: [{ path: check }] });
  }
  expect((await sql<{ n: number }[]>`select count(*)::int as n from requests`)[0]!.n).toBe(before);
});
