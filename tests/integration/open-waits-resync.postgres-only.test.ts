// A revocation committed while this instance's LISTEN on the agents channel was down (its NOTIFY
// lost) still ends the agent's open stream, once the LISTEN is re-established: every open wait is
// re-authenticated then. PostgreSQL only: it drops the LISTEN connection itself.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { getDb } from "@/db/client";
import { openWaitCount } from "@/lib/agents/open-waits";
import { createRequest } from "@/lib/requests/lifecycle";
import { errorBody } from "@/lib/requests/schema";
import { usePrivateDatabase } from "../support/dedicated-db";
import { apiRequest, callAgentApi, makeAgent, requestBody } from "../support/fixtures";
import { sseReader } from "../support/sse";

let restore: () => Promise<void> = async () => {};

beforeAll(async () => {
  // A database of its own: the LISTEN connections dropped below are this file's only.
  restore = await usePrivateDatabase();
});
afterAll(async () => restore());

describe("a revocation missed while LISTEN was down", () => {
  it("ends the agent's open stream with the 401 envelope once LISTEN is back", async () => {
    const a = await makeAgent();
    const { request } = await createRequest(a.agent, requestBody());
    const res = await callAgentApi(apiRequest("GET", `/api/v1/requests/${request.id}/events`, { key: a.key }));
    const sse = sseReader(res.body!);
    expect((await sse.next())?.event).toBe("state");

    const db = await getDb();
    // Revoked with no NOTIFY: as if it was sent while this instance's LISTEN was down.
    await db.execute(sql`update agents set revoked_at = now() where id = ${a.agent.id}`);
    // Nothing tells the stream yet: it still holds its place.
    await sleep(500);
    expect(openWaitCount(a.agent.id, "stream")).toBe(1);
    // The LISTEN connection drops; postgres.js re-establishes it and says so.
    await db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
                          where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`);

    const last = await sse.next(10_000);
    expect(last?.event).toBe("error");
    expect(errorBody.parse(JSON.parse(last!.data)).error.code).toBe("agent_revoked");
    expect(await sse.next()).toBeNull();
  });
});
