// Every console server action and console route handler, called directly (not through the UI) as
// each kind of caller. The session is the only seam replaced; all checks run for real.
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/db/client";
import { findRequestWithAgent } from "@/db/queries/requests";
import type { Viewer } from "@/lib/auth/viewer";
import { createRequest } from "@/lib/requests/lifecycle";
import { listAgents } from "@/lib/agents/registry";
import { listDeliveries } from "@/lib/notify/deliveries";
import { listInbox } from "@/lib/requests/inbox";
import { getRequestDetail, getRequestForAgent, listRecentRequests } from "@/lib/requests/read";
import { resolveAuthority } from "@/lib/auth/authority";
import { liveSession } from "@/lib/auth/sessions";
import { errorCode, reviewer, signedIn } from "../support/fixtures";
import { makeAgent, requestBody } from "../support/fixtures";

const session = vi.hoisted(() => ({ viewer: null as Viewer | null }));
vi.mock("@/lib/auth/session", () => ({ getViewer: async () => session.viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { decideAction } = await import("@/app/(console)/requests/[id]/actions");
const { registerAgentAction, revokeAgentAction, rotateAgentKeyAction } = await import("@/app/(console)/agents/actions");
const { endSessionsAction, linkPeopleAction } = await import("@/app/(console)/people/actions");
const { GET: consoleStream } = await import("@/app/api/console/stream/route");

type Caller = "anonymous" | "agent key" | "auditor" | "out-of-scope reviewer" | "self-requester" | "admin";

const OWNER = "sec-owner@acme.test";
// Each persona signs in for real (identity, person, session row): decisions resolve the session.
let viewers: Record<Caller, Viewer | null>;
beforeAll(async () => {
  viewers = {
    anonymous: null,
    "agent key": null, // an agent key is not a console session
    auditor: await signedIn(reviewer("audrey", ["compliance"])),
    "out-of-scope reviewer": await signedIn(reviewer("riley", ["platform-oncall"])),
    "self-requester": await signedIn(reviewer("sec-owner", ["security-team"], OWNER)),
    admin: await signedIn(reviewer("ada", ["countersign-admins"])),
  };
});

const form = (fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};

let agentKey = "";
let agentId = "";
async function freshIamRequest(): Promise<string> {
  const { agent, key } = await makeAgent(OWNER);
  agentKey = key;
  agentId = agent.id;
  return (await createRequest(agent, requestBody({ action: "iam.role.update" }))).request.id;
}

function outcome(result: { ok: true } | { ok: false; error: { code: string } }): string {
  return result.ok ? "ok" : result.error.code;
}

describe("authorization matrix", () => {
  beforeEach(() => {
    session.viewer = null;
  });

  const decideExpect: Record<Caller, string> = {
    anonymous: "unauthorized",
    "agent key": "unauthorized",
    auditor: "forbidden",
    "out-of-scope reviewer": "not_eligible",
    "self-requester": "self_approval",
    admin: "ok",
  };
  it.each(Object.entries(decideExpect) as [Caller, string][])("decideAction (approve) as %s → %s", async (caller, expected) => {
    const id = await freshIamRequest();
    session.viewer = viewers[caller];
    const result = await decideAction(null, form({ requestId: id, decision: "approve" }));
    expect(outcome(result)).toBe(expected);
    const found = await findRequestWithAgent(await getDb(), id);
    const view = await getRequestForAgent(found!.agent, id);
    expect(view.approvals.count).toBe(expected === "ok" ? 1 : 0);
  });

  it.each([
    ["anonymous", "unauthorized"],
    ["agent key", "unauthorized"],
    ["auditor", "forbidden"],
    ["out-of-scope reviewer", "not_eligible"],
    ["self-requester", "ok"], // the owner may stop their own agent; they may never approve it
    ["admin", "ok"],
  ] as [Caller, string][])("decideAction (deny with note) as %s → %s", async (caller, expected) => {
    const id = await freshIamRequest();
    session.viewer = viewers[caller];
    expect(outcome(await decideAction(null, form({ requestId: id, decision: "deny", note: "no" })))).toBe(expected);
  });

  it("decideAction rejects malformed input before any work", async () => {
    session.viewer = viewers.admin;
    expect(outcome(await decideAction(null, form({ requestId: "nope", decision: "approve" })))).toBe("invalid_request");
    expect(outcome(await decideAction(null, form({ requestId: crypto.randomUUID(), decision: "maybe" })))).toBe("invalid_request");
    expect(outcome(await decideAction(null, form({ requestId: crypto.randomUUID(), decision: "approve" })))).toBe("not_found");
  });

  const adminOnly: Record<Caller, string> = {
    anonymous: "unauthorized",
    "agent key": "unauthorized",
    auditor: "forbidden",
    "out-of-scope reviewer": "forbidden",
    "self-requester": "forbidden",
    admin: "ok",
  };
  it.each(Object.entries(adminOnly) as [Caller, string][])("registerAgentAction as %s → %s", async (caller, expected) => {
    session.viewer = viewers[caller];
    const name = `m-${crypto.randomUUID().slice(0, 8)}`;
    const result = await registerAgentAction(null, form({ name, owner: "o@acme.test" }));
    expect(outcome(result)).toBe(expected);
    if (result.ok) expect(result.data.key).toMatch(/^cs_/);
  });

  it.each(Object.entries(adminOnly) as [Caller, string][])("rotateAgentKeyAction as %s → %s", async (caller, expected) => {
    await freshIamRequest();
    session.viewer = viewers[caller];
    const result = await rotateAgentKeyAction(null, form({ agentId }));
    expect(outcome(result)).toBe(expected);
    if (result.ok) expect(result.data.key).toMatch(/^cs_/);
  });

  it.each(Object.entries(adminOnly) as [Caller, string][])("revokeAgentAction as %s → %s", async (caller, expected) => {
    await freshIamRequest();
    session.viewer = viewers[caller];
    expect(outcome(await revokeAgentAction(null, form({ agentId })))).toBe(expected);
  });

  // Reads check the viewer themselves: a page that forgot its guard still leaks nothing.
  const readExpect: Record<Caller, string> = {
    anonymous: "unauthorized",
    "agent key": "unauthorized",
    auditor: "ok",
    "out-of-scope reviewer": "ok",
    "self-requester": "ok",
    admin: "ok",
  };
  it.each(Object.entries(readExpect) as [Caller, string][])("console reads (request, requests, inbox, agents, deliveries) as %s → %s", async (caller, expected) => {
    const id = await freshIamRequest();
    const viewer = viewers[caller];
    const reads = await Promise.all([
      errorCode(getRequestDetail(viewer, id)),
      errorCode(listRecentRequests(viewer, 5)),
      errorCode(listInbox(viewer, {})),
      errorCode(listAgents(viewer)),
      errorCode(listDeliveries(viewer, id)),
    ]);
    expect(reads).toEqual(reads.map(() => expected));
    if (expected === "ok") expect((await getRequestDetail(viewer, id))?.view.id).toBe(id);
  });

  it("an agent reads only its own requests: another agent's is 403, a missing one 404", async () => {
    const id = await freshIamRequest();
    const { agent: other } = await makeAgent();
    expect(await errorCode(getRequestForAgent(other, id))).toBe("forbidden");
    expect(await errorCode(getRequestForAgent(other, crypto.randomUUID()))).toBe("not_found");
  });

  it.each(Object.entries(adminOnly) as [Caller, string][])("endSessionsAction as %s → %s (and the sessions really end)", async (caller, expected) => {
    const victim = await signedIn(reviewer(`victim-${crypto.randomUUID().slice(0, 6)}`, ["platform-oncall"]));
    session.viewer = viewers[caller];
    const result = await endSessionsAction(null, form({ personId: victim.personId }));
    expect(outcome(result)).toBe(expected);
    expect(await liveSession(victim.sessionId)).toEqual(expected === "ok" ? null : expect.objectContaining({ session: expect.anything() }));
  });

  it.each(Object.entries(adminOnly) as [Caller, string][])("linkPeopleAction as %s → %s", async (caller, expected) => {
    const a = await signedIn(reviewer(`a-${crypto.randomUUID().slice(0, 6)}`, ["platform-oncall"]));
    const b = await signedIn(reviewer(`b-${crypto.randomUUID().slice(0, 6)}`, ["platform-oncall"]));
    session.viewer = viewers[caller];
    expect(outcome(await linkPeopleAction(null, form({ from: b.personId, into: a.personId })))).toBe(expected);
    expect((await resolveAuthority({ kind: "session", sessionId: b.sessionId })).personId).toBe(expected === "ok" ? a.personId : b.personId);
  });

  it("linkPeopleAction refuses nonsense before any work", async () => {
    session.viewer = viewers.admin;
    expect(outcome(await linkPeopleAction(null, form({ from: "x", into: crypto.randomUUID() })))).toBe("invalid_request");
    expect(outcome(await linkPeopleAction(null, form({ from: crypto.randomUUID(), into: crypto.randomUUID() })))).toBe("not_found");
    const a = await signedIn(reviewer(`same-${crypto.randomUUID().slice(0, 6)}`, ["platform-oncall"]));
    expect(outcome(await linkPeopleAction(null, form({ from: a.personId, into: a.personId })))).toBe("invalid_request");
  });

  const streamExpect: Record<Caller, number> = {
    anonymous: 401,
    "agent key": 401,
    auditor: 200,
    "out-of-scope reviewer": 200,
    "self-requester": 200,
    admin: 200,
  };
  it.each(Object.entries(streamExpect) as [Caller, number][])("GET /api/console/stream as %s → %i", async (caller, status) => {
    await freshIamRequest();
    session.viewer = viewers[caller];
    const controller = new AbortController();
    const headers: Record<string, string> = caller === "agent key" ? { authorization: `Bearer ${agentKey}` } : {};
    const res = await consoleStream(new Request("http://countersign.test/api/console/stream", { headers, signal: controller.signal }), undefined as never);
    expect(res.status).toBe(status);
    if (status === 401) expect((await res.json()).error.code).toBe("unauthorized");
    else expect(res.headers.get("content-type")).toContain("text/event-stream");
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
  });
});
