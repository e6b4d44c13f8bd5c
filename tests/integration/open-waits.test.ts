// Open long-polls and event streams (issue 12): capped per agent (429 with Retry-After, the
// envelope), the place freed when one ends, and every one ended with the 401 envelope the moment
// the agent or the key it used is revoked — here, from another process (a NOTIFY on the agents
// channel) as well as from this one.
import { sql } from "drizzle-orm";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { openWaitCount } from "@/lib/agents/open-waits";
import { revokeAgent, rotateAgentKey } from "@/lib/agents/registry";
import { resetEnvCache } from "@/lib/config/env";
import { createRequest } from "@/lib/requests/lifecycle";
import { errorBody } from "@/lib/requests/schema";
import { apiRequest, callAgentApi, makeAgent, requestBody, TEST_ACTOR } from "../support/fixtures";
import { sseReader } from "../support/sse";

const saved = { streams: process.env.COUNTERSIGN_AGENT_MAX_STREAMS, polls: process.env.COUNTERSIGN_AGENT_MAX_LONG_POLLS };

beforeAll(() => {
  process.env.COUNTERSIGN_AGENT_MAX_STREAMS = "2";
  process.env.COUNTERSIGN_AGENT_MAX_LONG_POLLS = "2";
  resetEnvCache();
});
afterAll(() => {
  for (const [name, value] of [
    ["COUNTERSIGN_AGENT_MAX_STREAMS", saved.streams],
    ["COUNTERSIGN_AGENT_MAX_LONG_POLLS", saved.polls],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvCache();
});

const stream = (key: string, id: string, signal?: AbortSignal) =>
  callAgentApi(new Request(apiRequest("GET", `/api/v1/requests/${id}/events`, { key }), { signal }));
const poll = (key: string, id: string, seconds = 30, signal?: AbortSignal) =>
  callAgentApi(new Request(apiRequest("GET", `/api/v1/requests/${id}?wait=${seconds}`, { key }), { signal }));

async function pendingOf(agent: Awaited<ReturnType<typeof makeAgent>>["agent"]): Promise<string> {
  const { request } = await createRequest(agent, requestBody());
  expect(request.status).toBe("pending");
  return request.id;
}

async function expectRefused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(errorBody.parse(await res.json()).error.code).toBe(code);
}

/** Waits until the agent holds `n` waits of the kind here (a poll registers once its handler runs). */
async function until(agentId: string, kind: "stream" | "poll", n: number) {
  for (let i = 0; i < 200 && openWaitCount(agentId, kind) !== n; i++) await sleep(10);
  expect(openWaitCount(agentId, kind)).toBe(n);
}

describe("per-agent caps on open streams and long-polls", () => {
  it("a third stream is refused 429 with Retry-After; another agent is not; closing one frees a place", async () => {
    const a = await makeAgent();
    const b = await makeAgent();
    const id = await pendingOf(a.agent);
    const first = new AbortController();
    const s1 = sseReader((await stream(a.key, id, first.signal)).body!);
    const s2 = sseReader((await stream(a.key, id)).body!);
    expect((await s1.next())?.event).toBe("state");
    expect((await s2.next())?.event).toBe("state");
    await until(a.agent.id, "stream", 2);

    const third = await stream(a.key, id);
    expect(third.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    await expectRefused(third, 429, "rate_limited");
    // The cap is the agent's own: another agent streams its request.
    const other = sseReader((await stream(b.key, await pendingOf(b.agent))).body!);
    expect((await other.next())?.event).toBe("state");

    first.abort();
    await until(a.agent.id, "stream", 1);
    const again = sseReader((await stream(a.key, id)).body!);
    expect((await again.next())?.event).toBe("state");
    await Promise.all([s2.cancel(), other.cancel(), again.cancel()]);
    await until(a.agent.id, "stream", 0);
  });

  it("a third long-poll is refused 429; a plain read (no wait) is never counted", async () => {
    const a = await makeAgent();
    const id = await pendingOf(a.agent);
    const stop = new AbortController();
    const polls = [poll(a.key, id, 30, stop.signal), poll(a.key, id, 30, stop.signal)];
    await until(a.agent.id, "poll", 2);
    const third = await poll(a.key, id);
    expect(third.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    await expectRefused(third, 429, "rate_limited");
    const plain = await callAgentApi(apiRequest("GET", `/api/v1/requests/${id}`, { key: a.key }));
    expect(plain.status).toBe(200);
    stop.abort();
    for (const res of await Promise.all(polls)) expect(res.status).toBe(200);
    await until(a.agent.id, "poll", 0);
  });

  it("a refused stream or poll changes nothing: no place is held by it", async () => {
    const a = await makeAgent();
    const id = await pendingOf(a.agent);
    await callAgentApi(apiRequest("GET", `/api/v1/requests/${id}?wait=abc`, { key: a.key }));
    await callAgentApi(apiRequest("GET", `/api/v1/requests/00000000-0000-4000-8000-000000000000/events`, { key: a.key }));
    expect(openWaitCount(a.agent.id, "poll")).toBe(0);
    expect(openWaitCount(a.agent.id, "stream")).toBe(0);
  });
});

describe("revoking an agent ends its open streams and long-polls with the 401 envelope", () => {
  it("revoked here: the stream's last event is the error, then it ends; the poll answers 401", async () => {
    const a = await makeAgent();
    const id = await pendingOf(a.agent);
    const sse = sseReader((await stream(a.key, id)).body!);
    expect((await sse.next())?.event).toBe("state");
    const polled = poll(a.key, id);
    await until(a.agent.id, "poll", 1);

    await revokeAgent(a.agent.id, TEST_ACTOR);

    const last = await sse.next();
    expect(last?.event).toBe("error");
    expect(errorBody.parse(JSON.parse(last!.data)).error.code).toBe("agent_revoked");
    expect(await sse.next()).toBeNull();
    await expectRefused(await polled, 401, "agent_revoked");
    await until(a.agent.id, "stream", 0);
    await until(a.agent.id, "poll", 0);
  });

  it("revoked by another instance (only its NOTIFY reaches this one): both end the same way", async () => {
    const a = await makeAgent();
    const id = await pendingOf(a.agent);
    const sse = sseReader((await stream(a.key, id)).body!);
    expect((await sse.next())?.event).toBe("state");
    const polled = poll(a.key, id);
    await until(a.agent.id, "poll", 1);

    // What another instance's revokeAgent commits: the row, then the agents channel's NOTIFY.
    const db = await getDb();
    await db.transaction(async (tx) => {
      await tx.execute(sql`update agents set revoked_at = now() where id = ${a.agent.id}`);
      await tx.execute(sql`select pg_notify('countersign_agents', ${a.agent.id})`);
    });

    const last = await sse.next(5000);
    expect(last?.event).toBe("error");
    expect(errorBody.parse(JSON.parse(last!.data)).error.code).toBe("agent_revoked");
    expect(await sse.next()).toBeNull();
    await expectRefused(await polled, 401, "agent_revoked");
  });

  it("a rotated key's stream ends; the agent's new key streams on; other agents' streams are untouched", async () => {
    const a = await makeAgent();
    const b = await makeAgent();
    const id = await pendingOf(a.agent);
    const theirs = sseReader((await stream(b.key, await pendingOf(b.agent))).body!);
    expect((await theirs.next())?.event).toBe("state");
    const sse = sseReader((await stream(a.key, id)).body!);
    expect((await sse.next())?.event).toBe("state");

    const { key: fresh } = await rotateAgentKey(a.agent.id, TEST_ACTOR);

    const last = await sse.next();
    expect(last?.event).toBe("error");
    expect(errorBody.parse(JSON.parse(last!.data)).error.code).toBe("agent_revoked");
    expect(await sse.next()).toBeNull();
    const renewed = sseReader((await stream(fresh, id)).body!);
    expect((await renewed.next())?.event).toBe("state");
    // Agent B's stream saw nothing: no error event arrives on it.
    await expect(theirs.next(300)).rejects.toThrow(/no SSE event/);
    await Promise.all([renewed.cancel(), theirs.cancel()]);
  });
});
