// The agent API's hot path as redesigned for throughput (issue 15): an agent's read of its request
// in one prepared round trip must be exactly the view every other reader builds, and a create's
// NOTIFY — sent after its commit, batched with others — must reach listeners once per filed request.
import { describe, expect, it } from "vitest";
import { answer, json, jsonTextOf, withBody } from "@/app/api/_lib/http";
import { getDatabase } from "@/db/client";
import { eq } from "drizzle-orm";
import { findAgentRequestWithVotes, REQUEST_CHANGES_CHANNEL, selectReviews } from "@/db/queries/requests";
import { requests } from "@/db/schema";
import { createRequest } from "@/lib/requests/lifecycle";
import { getRequestForAgent, getRequestView } from "@/lib/requests/read";
import { decideAs, makeAgent, requestBody, security } from "../support/fixtures";

describe("an agent's read of its request", () => {
  it("is the view every other reader builds, votes included, in order, with every field", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ action: "iam.role.update" }));
    const at = (now: Date) => ({ now });
    let now = new Date();
    expect(await getRequestForAgent(agent, request.id, at(now))).toEqual(await getRequestView(request.id, now));

    await decideAs(request.id, security("s1"), "approve", "looks scoped", "console");
    await decideAs(request.id, security("s2"), "deny", "too broad — ünïcödé note", "slack");
    now = new Date();
    const mine = await getRequestForAgent(agent, request.id, at(now));
    expect(mine).toEqual(await getRequestView(request.id, now));
    expect(mine.status).toBe("denied");
    expect(mine.reviews.map((r) => [r.decision, r.note, r.channel])).toEqual([
      ["approve", "looks scoped", "console"],
      ["deny", "too broad — ünïcödé note", "slack"],
    ]);
    for (const r of mine.reviews) expect(r.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("decodes every column exactly as drizzle's own select does, on this driver", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(
      agent,
      requestBody({ action: "iam.role.update", on_behalf_of: "alice@example.com", callback_url: "https://hooks.example.com/cs?x=ü" }),
    );
    await decideAs(request.id, security("s1"), "approve", "ok", "console");
    await decideAs(request.id, security("s2"), "deny", "no", "slack");
    const handle = await getDatabase();
    const [row] = await handle.db.select().from(requests).where(eq(requests.id, request.id));
    const found = await findAgentRequestWithVotes(handle, request.id, agent.id);
    expect(found).toStrictEqual({ request: row, reviews: await selectReviews(handle.db, [request.id]) });
    for (const [key, value] of Object.entries(found!.request)) {
      if (value !== null && /At$|Deadline$/.test(key)) expect(value, key).toBeInstanceOf(Date);
    }
    expect(await findAgentRequestWithVotes(handle, request.id, crypto.randomUUID())).toBeUndefined();
  });

  it("another agent's request is forbidden and an unknown id is not found, through the same read", async () => {
    const { agent: owner } = await makeAgent();
    const { agent: other } = await makeAgent();
    const { request } = await createRequest(owner, requestBody());
    await expect(getRequestForAgent(other, request.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(getRequestForAgent(owner, crypto.randomUUID())).rejects.toMatchObject({ code: "not_found" });
    // The prepared statement is shared by every agent of the process: the first caller's id never sticks.
    expect((await getRequestForAgent(owner, request.id)).id).toBe(request.id);
  });
});

describe("a create's NOTIFY, sent after its commit", () => {
  it("reaches a listener once per filed request, for creates in parallel too, and not again on an idempotent replay", async () => {
    const handle = await getDatabase();
    const seen: { id: string; status: string; agentId: string }[] = [];
    const unlisten = await handle.listen(REQUEST_CHANGES_CHANNEL, (payload) => seen.push(JSON.parse(payload)));
    try {
      const { agent } = await makeAgent();
      const mine = () => seen.filter((n) => n.agentId === agent.id);
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => createRequest(agent, requestBody({ resource: `svc/notice-${i}` }), { idempotencyKey: `k-${i}` })),
      );
      await expect.poll(() => mine().length).toBe(20);
      expect(mine().map((n) => n.id).sort()).toEqual(created.map((c) => c.request.id).sort());
      for (const n of mine()) expect(n.status).toBe(created.find((c) => c.request.id === n.id)!.request.status);

      const replay = await createRequest(agent, requestBody({ resource: "svc/notice-0" }), { idempotencyKey: "k-0" });
      expect(replay.replayed).toBe(true);
      // A change that does notify, as a marker: everything sent before it has arrived by then.
      await createRequest(agent, requestBody({ resource: "svc/notice-marker" }));
      await expect.poll(() => mine().length).toBe(21);
      expect(mine().filter((n) => n.id === replay.request.id)).toHaveLength(1);
    } finally {
      await unlisten();
    }
  });
});

describe("the agent API's JSON answers", () => {
  it("carry their text for server.ts to write as it is: the same bytes as the body, and the headers", async () => {
    const body = { id: "x", note: "ünïcödé \u2028", n: [1, 2.5, null] };
    const res = json(body, 201, { location: "/api/v1/requests/x" });
    expect(jsonTextOf(res)).toBe(JSON.stringify(body));
    expect(await res.clone().text()).toBe(jsonTextOf(res));
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("location")).toBe("/api/v1/requests/x");
    expect(jsonTextOf(new Response("{}"))).toBeUndefined();
  });

  it("answer(): no body stream until an entry point other than server.ts attaches the text (withBody)", async () => {
    const body = { id: "y", note: "ünïcödé \u2028 😀", n: [1, null] };
    const bare = answer(body, 201, { location: "/api/v1/requests/y" });
    expect(bare.body).toBeNull();
    expect(jsonTextOf(bare)).toBe(JSON.stringify(body));
    const full = withBody(bare);
    expect(await full.clone().text()).toBe(JSON.stringify(body));
    expect(jsonTextOf(full)).toBe(JSON.stringify(body));
    expect([full.status, full.headers.get("content-type"), full.headers.get("cache-control"), full.headers.get("location")]).toEqual([
      201,
      "application/json",
      "no-store",
      "/api/v1/requests/y",
    ]);
    // Anything else passes through untouched (streams, json() answers that have their body already).
    const other = new Response("x");
    expect(withBody(other)).toBe(other);
    const made = json({ a: 1 });
    expect(withBody(made)).toBe(made);
  });
});
