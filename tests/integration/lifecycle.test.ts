// The state machine through the domain module: every transition and every refusal.
import { describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { cancelRequest, claimApproval, createRequest, expireDueRequests, reportResult } from "@/lib/requests/lifecycle";
import { getRequestForAgent } from "@/lib/requests/read";
import { decideAs, makeAgent, oncall, requestBody, reviewer, security } from "../support/fixtures";

const types = async (id: string) => (await selectEventsForRequest(await getDb(), id)).map((e) => e.type);
const later = (ms: number) => new Date(Date.now() + ms);

describe("request lifecycle", () => {
  it("pending → approved → executed → result, each with its audit event", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    expect(request.status).toBe("pending");
    expect(request.approvals).toEqual({ count: 0, required: 1 });
    expect(request.params_hash).toMatch(/^[0-9a-f]{64}$/);

    const approved = await decideAs(request.id, oncall(), "approve", "ok", "console");
    expect(approved.status).toBe("approved");
    expect(approved.grant_expires_at).not.toBeNull();

    const executed = await claimApproval(agent, request.id);
    expect(executed.status).toBe("executed");
    await expect(claimApproval(agent, request.id)).rejects.toMatchObject({ code: "already_executed" });

    const done = await reportResult(agent, request.id, { status: "succeeded", detail: { pods: 3 } });
    expect(done.result?.status).toBe("succeeded");
    await expect(reportResult(agent, request.id, { status: "failed" })).rejects.toMatchObject({ code: "result_already_reported" });

    expect(await types(request.id)).toEqual([
      "request.created",
      "review.approved",
      "request.approved",
      "request.executed",
      "request.result",
    ]);
  });

  it("deny wins, needs a note, and ends the request", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ action: "iam.role.update" }));
    await expect(decideAs(request.id, security(), "deny", "  ", "console")).rejects.toMatchObject({ code: "invalid_request" });
    // The note limit holds for every door (console, Slack, API alike), and a refused vote leaves nothing.
    await expect(decideAs(request.id, security(), "deny", "x".repeat(2001), "slack")).rejects.toMatchObject({
      code: "invalid_request",
      issues: [{ path: "note", message: "must be at most 2000 characters" }],
    });
    expect((await getRequestForAgent(agent, request.id)).reviews).toEqual([]);
    await decideAs(request.id, security("s1"), "approve", undefined, "console");
    const denied = await decideAs(request.id, security("s2"), "deny", "too broad", "console");
    expect(denied.status).toBe("denied");
    await expect(decideAs(request.id, security("s3"), "approve", undefined, "console")).rejects.toMatchObject({ code: "already_decided" });
    await expect(claimApproval(agent, request.id)).rejects.toMatchObject({ code: "denied" });
  });

  it("quorum needs distinct reviewers and one vote each", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ action: "iam.policy.update" }));
    expect(request.approvals.required).toBe(2);
    const one = await decideAs(request.id, security("s1"), "approve", undefined, "console");
    expect(one.status).toBe("pending");
    expect(one.approvals.count).toBe(1);
    await expect(decideAs(request.id, security("s1"), "approve", undefined, "slack")).rejects.toMatchObject({ code: "already_voted" });
    await expect(claimApproval(agent, request.id)).rejects.toMatchObject({ code: "not_approved" });
    const two = await decideAs(request.id, security("s2"), "approve", undefined, "slack");
    expect(two.status).toBe("approved");
  });

  it("refuses self-approval by the agent owner and the on_behalf_of human, admins included", async () => {
    const { agent } = await makeAgent("boss@acme.test");
    const { request } = await createRequest(agent, requestBody({ action: "iam.role.update", on_behalf_of: "Jo@acme.test" }));
    const ownerAdmin = reviewer("boss", ["countersign-admins"], "boss@acme.test");
    const behalf = reviewer("jo", ["security-team"], "jo@acme.test");
    await expect(decideAs(request.id, ownerAdmin, "approve", undefined, "console")).rejects.toMatchObject({ code: "self_approval" });
    await expect(decideAs(request.id, behalf, "approve", undefined, "api")).rejects.toMatchObject({ code: "self_approval" });
    expect(await types(request.id)).toEqual(["request.created"]);
  });

  it("refuses reviewers outside the rule's approver groups", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ action: "iam.role.update" }));
    await expect(decideAs(request.id, oncall(), "approve", undefined, "console")).rejects.toMatchObject({ code: "not_eligible" });
    await expect(decideAs(request.id, reviewer("aud", ["compliance"]), "deny", "no", "console")).rejects.toMatchObject({ code: "forbidden" });
  });

  it("auto-approves and refuses by policy", async () => {
    const { agent } = await makeAgent();
    const auto = await createRequest(agent, requestBody({ action: "logs.service.read" }));
    expect(auto.request.status).toBe("approved");
    expect(await types(auto.request.id)).toEqual(["request.created", "request.auto_approved"]);
    const refused = await createRequest(agent, requestBody({ action: "db.primary.drop" }));
    expect(refused.request.status).toBe("denied");
    expect(refused.request.policy.rule).toBe("no-prod-db-drops");
    expect(await types(refused.request.id)).toEqual(["request.created", "request.refused"]);
  });

  it("cancel only while pending", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    const cancelled = await cancelRequest(agent, request.id, "not needed");
    expect(cancelled.status).toBe("cancelled");
    await expect(cancelRequest(agent, request.id, undefined)).rejects.toMatchObject({ code: "not_pending" });
    await expect(decideAs(request.id, oncall(), "approve", undefined, "console")).rejects.toMatchObject({ code: "already_decided" });
  });

  it("another agent can neither read nor execute the request", async () => {
    const { agent } = await makeAgent();
    const { agent: other } = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    await expect(getRequestForAgent(other, request.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(claimApproval(other, request.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(cancelRequest(other, request.id, undefined)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("expiry is enforced on read and write before any sweep, and the sweeper records it", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    const afterDeadline = { now: later(2 * 3600_000) };
    expect((await getRequestForAgent(agent, request.id, afterDeadline)).status).toBe("expired");
    await expect(decideAs(request.id, oncall(), "approve", undefined, "console", afterDeadline)).rejects.toMatchObject({ code: "expired" });
    expect(await types(request.id)).toEqual(["request.created", "request.expired"]);

    const second = (await createRequest(agent, requestBody({ resource: "svc/other" }))).request;
    // Other files share this database; sweep until nothing overdue is left, however much that is.
    let swept = 0;
    for (let n = await expireDueRequests(afterDeadline); n > 0; n = await expireDueRequests(afterDeadline)) swept += n;
    expect(swept).toBeGreaterThanOrEqual(1);
    expect(await types(second.id)).toEqual(["request.created", "request.expired"]);
  });

  it("an approval expires at the end of its grant window", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    await decideAs(request.id, oncall(), "approve", undefined, "console");
    await expect(claimApproval(agent, request.id, { now: later(16 * 60_000) })).rejects.toMatchObject({ code: "expired" });
    expect((await getRequestForAgent(agent, request.id)).status).toBe("expired");
  });

  it("idempotency: same key and body returns the same request; another body conflicts", async () => {
    const { agent } = await makeAgent();
    const first = await createRequest(agent, requestBody(), { idempotencyKey: "k-1" });
    const again = await createRequest(agent, requestBody(), { idempotencyKey: "k-1" });
    expect(again.replayed).toBe(true);
    expect(again.request.id).toBe(first.request.id);
    await expect(createRequest(agent, requestBody({ resource: "svc/x" }), { idempotencyKey: "k-1" })).rejects.toMatchObject({
      code: "idempotency_conflict",
    });
  });
});
