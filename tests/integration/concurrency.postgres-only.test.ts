// SPEC §2 invariant 3 ("exactly once") under real concurrency, on real PostgreSQL: many
// transactions race for one request row and exactly one wins. Runs on the shared test database;
// every assertion is about this file's own requests, so other files writing at the same time
// cannot disturb it (see the note on clocks in "approve racing expiry").
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { auditEvents, requests, reviews, type AuditEventRow } from "@/db/schema";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { resetEnvCache } from "@/lib/config/env";
import { createRequest, expireDueRequests } from "@/lib/requests/lifecycle";
import { apiRequest, callAgentApi, decideAs, errorCode, makeAgent, oncall, personOf, requestBody, reviewer, tally } from "../support/fixtures";

const N = 50;
const HOUR = 3600_000;

async function eventsFor(ids: string[]): Promise<AuditEventRow[]> {
  const db = await getDb();
  return db.select().from(auditEvents).where(inArray(auditEvents.requestId, ids)).orderBy(auditEvents.id);
}

async function rowsFor(ids: string[]) {
  const db = await getDb();
  return db.select().from(requests).where(inArray(requests.id, ids));
}

async function reviewsFor(ids: string[]) {
  const db = await getDb();
  return db.select().from(reviews).where(inArray(reviews.requestId, ids));
}

const byRequest = <T extends { requestId: string | null }>(rows: T[], id: string) => rows.filter((r) => r.requestId === id);
const typesOf = (rows: AuditEventRow[]) => rows.map((e) => e.type);

let savedRateLimit: string | undefined;

beforeAll(() => {
  // The execute and create races send 50 calls from one agent in a burst.
  savedRateLimit = process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
  process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = "1000000";
  resetEnvCache();
  resetRateLimitForTests();
});

afterAll(() => {
  if (savedRateLimit === undefined) delete process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
  else process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = savedRateLimit;
  resetEnvCache();
  resetRateLimitForTests();
});

describe("concurrency on real PostgreSQL", () => {
  it(`${N} parallel approvals by distinct eligible reviewers on a 1-approval request: exactly one wins`, async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ resource: "svc/race-approvals" }));
    expect(request.approvals.required).toBe(1);

    const reviewers = Array.from({ length: N }, (_, i) => reviewer(`approver-${i}`, ["platform-oncall"]));
    const results = await Promise.all(
      reviewers.map((r) => errorCode(decideAs(request.id, r, "approve", `lgtm from ${r.name}`, "console"))),
    );
    expect(tally(results)).toEqual({ ok: 1, already_decided: N - 1 });
    const winner = reviewers[results.indexOf("ok")]!;

    const [row] = await rowsFor([request.id]);
    expect(row!.status).toBe("approved");
    expect(row!.decidedAt).not.toBeNull();
    const votes = await reviewsFor([request.id]);
    const winnerId = await personOf(winner);
    expect(votes.map((v) => [v.reviewerId, v.decision])).toEqual([[winnerId, "approve"]]);

    const events = await eventsFor([request.id]);
    expect(typesOf(events)).toEqual(["request.created", "review.approved", "request.approved"]);
    expect(events.filter((e) => e.type !== "request.created").every((e) => e.actorId === winnerId)).toBe(true);
    expect(events.find((e) => e.type === "request.approved")!.payload).toMatchObject({ approvals: 1, approvals_required: 1 });
  });

  it(`${N} parallel execute calls through the agent API: exactly one 200, the rest 409 already_executed`, async () => {
    const { agent, key } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ resource: "svc/race-execute" }));
    await decideAs(request.id, oncall(), "approve", undefined, "console");

    const responses = await Promise.all(
      Array.from({ length: N }, () => callAgentApi(apiRequest("POST", `/api/v1/requests/${request.id}/execute`, { key }))),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
    expect(tally(responses.map((r) => r.status))).toEqual({ 200: 1, 409: N - 1 });
    const okBody = bodies[responses.findIndex((r) => r.status === 200)]!;
    expect(okBody).toMatchObject({ id: request.id, status: "executed" });
    const conflicts = bodies.filter((_, i) => responses[i]!.status === 409);
    expect(tally(conflicts.map((b) => (b.error as { code: string }).code))).toEqual({ already_executed: N - 1 });

    const [row] = await rowsFor([request.id]);
    expect(row!.status).toBe("executed");
    expect(row!.executedAt?.toISOString()).toBe(okBody.executed_at);
    expect(typesOf(await eventsFor([request.id]))).toEqual([
      "request.created",
      "review.approved",
      "request.approved",
      "request.executed",
    ]);
  });

  it("approve racing deny, 20 rounds: one terminal state and one terminal event per request", async () => {
    const { agent } = await makeAgent();
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await createRequest(agent, requestBody({ resource: `svc/race-deny-${i}` }))).request.id),
    );
    const approver = oncall("ada");
    const denier = oncall("dan");
    // Every round at once (40 transactions), issuing the deny first in half of them.
    const rounds = await Promise.all(
      ids.map(async (id, i) => {
        const approve = () => errorCode(decideAs(id, approver, "approve", undefined, "console"));
        const deny = () => errorCode(decideAs(id, denier, "deny", "not during the freeze", "slack"));
        if (i % 2 === 0) {
          const [a, d] = await Promise.all([approve(), deny()]);
          return { id, approve: a, deny: d };
        }
        const [d, a] = await Promise.all([deny(), approve()]);
        return { id, approve: a, deny: d };
      }),
    );

    const rows = await rowsFor(ids);
    const votes = await reviewsFor(ids);
    const events = await eventsFor(ids);
    for (const { id, approve, deny } of rounds) {
      const row = rows.find((r) => r.id === id)!;
      // Exactly one of the two calls succeeded; the other saw the decision already made.
      expect([approve, deny].sort()).toEqual(["already_decided", "ok"]);
      const expected = approve === "ok" ? "approved" : "denied";
      expect(row.status).toBe(expected);
      const decision = approve === "ok" ? "approve" : "deny";
      expect(byRequest(votes, id).map((v) => v.decision)).toEqual([decision]);
      const terminal = byRequest(events, id).filter((e) => e.type === "request.approved" || e.type === "request.denied");
      expect(terminal.map((e) => e.type)).toEqual([`request.${expected}`]);
      expect(typesOf(byRequest(events, id))).toEqual(["request.created", `review.${expected}`, `request.${expected}`]);
    }
    // Both outcomes are legal; together they account for every round.
    const t = tally(rounds.map((r) => (r.approve === "ok" ? "approved" : "denied")));
    expect((t.approved ?? 0) + (t.denied ?? 0)).toBe(20);
  });

  describe("approve racing expiry", () => {
    // Deadlines lie a day in the past: no other file's requests are due at that time (they are
    // created with real clocks), so this file's sweeper only expires what is already expired. Another
    // file's sweeper running with a real clock may expire these requests first; every assertion below
    // holds whichever transaction wins, so that cannot make it fail.
    const deadline = new Date(Math.floor((Date.now() - 24 * HOUR) / 1000) * 1000);
    const at = (offsetMs: number) => ({ now: new Date(deadline.getTime() + offsetMs) });

    async function pendingWithDeadline(count: number, tag: string): Promise<string[]> {
      const { agent } = await makeAgent();
      return Promise.all(
        Array.from({ length: count }, async (_, i) => {
          // everything-else: 1 h decision deadline, so filed an hour before `deadline`.
          const { request } = await createRequest(agent, requestBody({ resource: `svc/${tag}-${i}` }), at(-HOUR));
          expect(request.decision_deadline).toBe(deadline.toISOString());
          expect(request.status).toBe("pending");
          return request.id;
        }),
      );
    }

    const decisionExpiries = (events: AuditEventRow[]) =>
      events.filter((e) => e.type === "request.expired" && e.payload.phase === "decision_deadline");

    it("a decision at or after the deadline never approves, racing the sweeper or not", async () => {
      const ids = await pendingWithDeadline(20, "race-expiry-after");
      // Two late approvals per request (1 ms after the deadline; one exactly at it) race two sweepers.
      const late = (who: string) =>
        Promise.all(ids.map((id, i) => errorCode(decideAs(id, oncall(`${who}-${i}`), "approve", undefined, "console", at(i === 0 ? 0 : 1)))));
      const [first, second] = await Promise.all([late("late"), late("later"), expireDueRequests(at(1)), expireDueRequests(at(1))]);
      const decisions = [...first, ...second];
      // Each approval is refused as expired, whether it recorded the expiry itself or found it recorded.
      expect(tally(decisions)).toEqual({ expired: 2 * ids.length });

      const rows = await rowsFor(ids);
      const events = await eventsFor(ids);
      expect(await reviewsFor(ids)).toEqual([]);
      for (const id of ids) {
        expect(rows.find((r) => r.id === id)!.status).toBe("expired");
        expect(typesOf(byRequest(events, id))).toEqual(["request.created", "request.expired"]);
        expect(decisionExpiries(byRequest(events, id))).toHaveLength(1);
      }
    });

    it("a decision just before the deadline racing the sweeper just after it: approved or expired, never both", async () => {
      const ids = await pendingWithDeadline(20, "race-expiry-before");
      // Per request, an approval 1 ms before the deadline races a second reviewer's approval 1 ms
      // after it (which records the expiry itself); two sweepers run across all of them.
      const [decisions, lateDecisions] = await Promise.all([
        Promise.all(ids.map((id, i) => errorCode(decideAs(id, oncall(`early-${i}`), "approve", undefined, "console", at(-1))))),
        Promise.all(ids.map((id, i) => errorCode(decideAs(id, oncall(`late-${i}`), "approve", undefined, "console", at(1))))),
        expireDueRequests(at(1)),
        expireDueRequests(at(1)),
      ]);

      const rows = await rowsFor(ids);
      const votes = await reviewsFor(ids);
      const events = await eventsFor(ids);
      ids.forEach((id, i) => {
        const row = rows.find((r) => r.id === id)!;
        const mine = byRequest(events, id);
        const approved = mine.filter((e) => e.type === "request.approved");
        const expired = decisionExpiries(mine);
        // Exactly one decision-phase terminal event, whichever transaction took the lock first.
        expect(approved.length + expired.length).toBe(1);
        // The late approval never succeeds: it finds the request approved, or expired (by itself or
        // by a sweeper).
        if (decisions[i] === "ok") {
          // (Unless another file's real-clock sweeper recorded the long-gone grant window's end first.)
          const grantExpired = mine.some((e) => e.type === "request.expired" && e.payload.phase === "grant_window");
          expect(grantExpired ? ["already_decided", "expired"] : ["already_decided"]).toContain(lateDecisions[i]);
          expect(approved).toHaveLength(1);
          expect(row.decidedAt!.getTime()).toBe(deadline.getTime() - 1);
          expect(byRequest(votes, id)).toHaveLength(1);
        } else {
          expect(decisions[i]).toBe("expired");
          expect(lateDecisions[i]).toBe("expired");
          expect(expired).toHaveLength(1);
          expect(row.status).toBe("expired");
          expect(byRequest(votes, id)).toHaveLength(0);
        }
      });
      // Never approved at or after the deadline.
      for (const row of rows) {
        if (byRequest(events, row.id).some((e) => e.type === "request.approved")) {
          expect(row.decidedAt!.getTime()).toBeLessThan(row.decisionDeadline.getTime());
        }
      }
    });

    it("each ordering, made deterministic: decide then sweep keeps the approval; sweep then decide refuses", async () => {
      const [first, second] = await pendingWithDeadline(2, "order-expiry");
      const approved = await decideAs(first!, oncall("olga"), "approve", undefined, "console", at(-1));
      expect(approved.status).toBe("approved");
      await expireDueRequests(at(1));
      // The grant window (15 min) runs from the approval, so at deadline + 1 ms it is still open and
      // the sweep leaves the approval alone. (That window ended in real time long ago: another file's
      // real-clock sweeper may record a grant-window expiry, never a decision-deadline one.)
      const [kept] = await rowsFor([first!]);
      const keptEvents = await eventsFor([first!]);
      const grantExpiry = keptEvents.filter((e) => e.type === "request.expired" && e.payload.phase === "grant_window");
      expect(kept!.status).toBe(grantExpiry.length === 1 ? "expired" : "approved");
      expect(typesOf(keptEvents.filter((e) => !grantExpiry.includes(e)))).toEqual(["request.created", "review.approved", "request.approved"]);

      // Another file's real-clock sweeper may have expired `second` already; either way it is expired
      // by the time this sweep returns, and a decision with a clock still inside the deadline is
      // refused: the recorded expiry stands.
      await expireDueRequests(at(1));
      await expect(decideAs(second!, oncall("olga"), "approve", undefined, "console", at(-1))).rejects.toMatchObject({
        code: "expired",
      });
      const [gone] = await rowsFor([second!]);
      expect(gone!.status).toBe("expired");
      expect(typesOf(await eventsFor([second!]))).toEqual(["request.created", "request.expired"]);
    });
  });

  it(`${N} parallel creates with one Idempotency-Key and body: one request, the same id for all`, async () => {
    const { agent, key } = await makeAgent();
    const body = requestBody({ resource: "svc/race-idempotency", context: { image: "payments-api:v2.42.0" } });
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        callAgentApi(apiRequest("POST", "/api/v1/requests", { key, body, headers: { "idempotency-key": "deploy-2.42" } })),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id: string }>));
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(N - 1);
    const ids = new Set(bodies.map((b) => b.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];

    const db = await getDb();
    const rows = await db.select().from(requests).where(eq(requests.agentId, agent.id));
    expect(rows.map((r) => [r.id, r.idempotencyKey])).toEqual([[id, "deploy-2.42"]]);
    expect(typesOf(await eventsFor([id!]))).toEqual(["request.created"]);
  });

  it("parallel creates with one Idempotency-Key and two bodies: one request, the other body conflicts every time", async () => {
    const { agent, key } = await makeAgent();
    const a = requestBody({ resource: "svc/idem-a" });
    const b = requestBody({ resource: "svc/idem-b" });
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        callAgentApi(apiRequest("POST", "/api/v1/requests", { key, body: i % 2 ? b : a, headers: { "idempotency-key": "same" } })),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id?: string; resource?: string; error?: { code: string } }>));
    const rows = await (await getDb()).select().from(requests).where(and(eq(requests.agentId, agent.id)));
    expect(rows).toHaveLength(1);
    const winner = rows[0]!;
    bodies.forEach((body, i) => {
      const sent = i % 2 ? b : a;
      if (sent.resource === winner.resource) {
        expect([200, 201]).toContain(responses[i]!.status);
        expect(body.id).toBe(winner.id);
      } else {
        expect(responses[i]!.status).toBe(409);
        expect(body.error?.code).toBe("idempotency_conflict");
      }
    });
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 200: N / 2 - 1, 409: N / 2 });
  });
});
