// Limits that hold across instances (issue 12): two production servers on one PostgreSQL database
// share one agent rate limit and one Slack replay cache (both kept in the database), and revoking
// an agent from a third process ends its event stream on instance A with the 401 envelope.
import fs from "node:fs";
import { expect, test, type TestInfo } from "@playwright/test";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { revokeAgent } from "@/lib/agents/registry";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { signSlackRequest } from "@/lib/slack/signature";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import {
  createAgentWithCli,
  createTestDatabase,
  startServers,
  stopServers,
  TEST_POLICY,
  type AppServer,
  type RegisteredAgent,
  type TestDatabase,
} from "./support/servers";

test.describe.configure({ mode: "serial" });

const LIMIT = 12;
const SLACK_SECRET = "e2e-slack-signing-secret";

let database: TestDatabase;
let a: AppServer;
let b: AppServer;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  database = await createTestDatabase({ prefix: "countersign_e2e_limits" });
  [a, b] = (await startServers(2, {
    databaseUrl: database.url,
    names: ["A", "B"],
    env: {
      COUNTERSIGN_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      SLACK_BOT_TOKEN: "xoxb-e2e-placeholder",
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      // Nothing listens there: the servers never reach the real Slack.
      SLACK_API_URL: "http://127.0.0.1:9/api/",
    },
  })) as [AppServer, AppServer];
  setDatabaseForProcess(await openDatabase({ databaseUrl: database.url, poolSize: 2 }));
  setActivePolicyForTests(parsePolicy(fs.readFileSync(TEST_POLICY, "utf8"), TEST_POLICY));
  wireRequestEffects();
});

test.afterEach(async ({}, testInfo: TestInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const server of [a, b].filter(Boolean)) await testInfo.attach(`server-${server.name}.log`, { body: server.output(), contentType: "text/plain" });
});

test.afterAll(async () => {
  try {
    await sealPendingAuditEvents().catch(() => undefined);
    await closeDatabase();
    await stopServers([a, b].filter(Boolean));
  } finally {
    await database?.drop();
  }
});

const get = (server: AppServer, agent: RegisteredAgent, path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${agent.key}` } });

test("two instances share one rate limit: the agent's calls to A and B draw on one budget", async () => {
  const agent = await createAgentWithCli(database.url);
  const other = await createAgentWithCli(database.url);
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT; i++) {
    const res = await get(i % 2 === 0 ? a : b, agent, "/api/v1/requests/00000000-0000-4000-8000-000000000000");
    statuses.push(res.status);
  }
  expect(statuses).toEqual(Array<number>(LIMIT).fill(404)); // within the limit: the route's own answer
  for (const server of [a, b]) {
    const res = await get(server, agent, "/api/v1/requests/00000000-0000-4000-8000-000000000000");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
  }
  // The budget is the agent's own.
  expect((await get(a, other, "/api/v1/requests/00000000-0000-4000-8000-000000000000")).status).toBe(404);
});

test("two instances share one Slack replay cache: a signed request replayed to B is refused", async () => {
  const body = `payload=${encodeURIComponent(JSON.stringify({ type: "view_closed", user: { id: "U0E2E" } }))}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": signSlackRequest(SLACK_SECRET, timestamp, body),
  };
  const path = "/api/integrations/slack/interactions";
  const first = await fetch(`${a.url}${path}`, { method: "POST", headers, body });
  expect(first.status, await first.clone().text()).toBe(200);
  const replayed = await fetch(`${b.url}${path}`, { method: "POST", headers, body });
  expect(replayed.status).toBe(401);
  expect(((await replayed.json()) as { error: { message: string } }).error.message).toMatch(/replayed/);
  // …and to A itself.
  expect((await fetch(`${a.url}${path}`, { method: "POST", headers, body })).status).toBe(401);
});

test("revoking the agent from another process ends its stream on A with the 401 envelope", async () => {
  const agent = await createAgentWithCli(database.url);
  const created = await fetch(`${a.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service.release", resource: "svc/limits", environment: "production", intent: "Ship it" }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const res = await get(a, agent, `/api/v1/requests/${id}/events`);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const readUntil = async (needle: string) => {
    const deadline = Date.now() + 10_000;
    while (!text.includes(needle) && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text.includes(needle);
  };
  expect(await readUntil("event: state")).toBe(true);

  await revokeAgent(agent.id, { actor: { kind: "system", id: "e2e", display: "E2E" }, channel: "system" });

  expect(await readUntil("event: error")).toBe(true);
  const data = /event: error\ndata: (.*)\n/.exec(text)?.[1];
  expect(JSON.parse(data!)).toMatchObject({ error: { code: "agent_revoked" } });
  expect((await reader.read()).done).toBe(true); // …and the stream ends
});
