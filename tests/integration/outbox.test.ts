// Signed outbound webhooks through the durable outbox (issue 5, items 3 and 4), on PostgreSQL and
// PGlite, against a real HTTP receiver on 127.0.0.1. Each transition writes its outbox row in its
// own transaction; this file then drives the worker pass by pass with `drainOutboxOnce({ now })`
// and the documented backoff, never sleeping.
//
// The clock: every transition and pass runs a day ahead of the wall clock. Each transition also
// kicks the real background worker (kickOutbox, wall clock); with everything dated tomorrow it
// finds nothing due, so the passes below are the only ones that deliver.
import { count } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { finishOutbox, selectDeliveries } from "@/db/queries/outbox";
import { notificationOutbox, type Agent } from "@/db/schema";
import { resetEnvCache, webhookMasterSecret } from "@/lib/config/env";
import { listDeliveries } from "@/lib/notify/deliveries";
import { agentWebhookSecret, verifyWebhook } from "@/lib/notify/webhook-signature";
import { backoffMs, drainOutboxOnce, MAX_ATTEMPTS } from "@/lib/notify/worker";
import { cancelRequest, claimApproval, createRequest, reportResult } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForOutboxIdle, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { decideAs, errorCode, makeAgent, oncall, requestBody, reviewer, security, viewerAs } from "../support/fixtures";
import { accept, failFirst, startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../support/webhook-receiver";

const DAY = 86_400_000;
const T0 = new Date(Math.ceil((Date.now() + DAY) / 1000) * 1000);
const at = (ms: number) => new Date(T0.getTime() + ms);
const FAR = at(365 * DAY);

let dedicated: DedicatedDatabase;
let restore: () => void;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Exact outbox counts need a database no other test file writes to.
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  receiver = await startWebhookReceiver();
});

afterEach(async () => {
  // Leave nothing due for the next test: deliver whatever is still waiting, then forget it.
  receiver.respond(accept);
  for (let n = 1; n > 0; ) n = await drainOutboxOnce({ now: FAR });
  receiver.reset();
});

afterAll(async () => {
  await waitForOutboxIdle();
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
  await receiver?.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const secretOf = (agent: Agent) => agentWebhookSecret(webhookMasterSecret(), agent.id);

type Payload = {
  id: string;
  type: string;
  occurred_at: string;
  request: { id: string; status: string; result: string | null; params_hash: string };
};
const payloadOf = (hit: ReceivedWebhook) => JSON.parse(hit.body) as Payload;

async function deliveriesOf(requestId: string) {
  return selectDeliveries(await getDb(), requestId);
}

async function outboxCount(): Promise<number> {
  const [row] = await (await getDb()).select({ n: count() }).from(notificationOutbox);
  return row!.n;
}

async function onlyRow(requestId: string) {
  const rows = await deliveriesOf(requestId);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function fileWithCallback(agent: Agent, when: Date, over: Parameters<typeof requestBody>[0] = {}) {
  const { request } = await createRequest(agent, requestBody({ callback_url: `${receiver.url}/hooks/countersign`, ...over }), { now: when });
  return request;
}

const readerViewer = async () => viewerAs(reviewer("audrey", ["compliance"]));

describe("signed webhooks from the outbox", () => {
  it("a request filed with callback_url, approved, executed and reported sends one signed webhook per state change, in order", async () => {
    const { agent } = await makeAgent();
    const { agent: other } = await makeAgent();
    const request = await fileWithCallback(agent, T0);
    expect(await drainOutboxOnce({ now: T0 })).toBe(1);

    await decideAs(request.id, oncall(), "approve", "ship it", "console", { now: at(1000) });
    expect(await drainOutboxOnce({ now: at(1000) })).toBe(1);
    await claimApproval(agent, request.id, { now: at(2000) });
    expect(await drainOutboxOnce({ now: at(2000) })).toBe(1);
    await reportResult(agent, request.id, { status: "succeeded", detail: { pods: 3 } }, { now: at(3000) });
    expect(await drainOutboxOnce({ now: at(3000) })).toBe(1);
    expect(await drainOutboxOnce({ now: FAR })).toBe(0);

    const hits = receiver.received;
    expect(hits.map((h) => payloadOf(h).type)).toEqual(["request.created", "request.approved", "request.executed", "request.result"]);
    expect(hits.map((h) => payloadOf(h).request.status)).toEqual(["pending", "approved", "executed", "executed"]);
    expect(hits.map((h) => payloadOf(h).request.result)).toEqual([null, null, null, "succeeded"]);
    expect(hits.map((h) => payloadOf(h).occurred_at)).toEqual([T0, at(1000), at(2000), at(3000)].map((d) => d.toISOString()));
    expect(new Set(hits.map((h) => h.eventId)).size).toBe(4);
    for (const hit of hits) {
      expect(hit.path).toBe("/hooks/countersign");
      expect(hit.headers["content-type"]).toBe("application/json");
      expect(hit.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(payloadOf(hit)).toMatchObject({ id: hit.eventId, request: { id: request.id, params_hash: request.params_hash } });
      expect(hit.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhook(secretOf(agent), hit.body, hit.signature, nowSeconds())).toBe(true);
      // Bound to this agent's secret, this exact body, and a fresh timestamp.
      expect(verifyWebhook(secretOf(other), hit.body, hit.signature, nowSeconds())).toBe(false);
      expect(verifyWebhook(secretOf(agent), hit.body.replace("request.", "request.x"), hit.signature, nowSeconds())).toBe(false);
      expect(verifyWebhook(secretOf(agent), hit.body, hit.signature, nowSeconds() + 301)).toBe(false);
    }

    const rows = await deliveriesOf(request.id);
    expect(rows.map((r) => [r.outbox.status, r.outbox.attempts, r.outbox.eventId])).toEqual(
      hits.map((h) => ["delivered", 1, h.eventId]),
    );
    expect(rows.map((r) => r.attempts.map((a) => [a.attempt, a.ok, a.statusCode, a.error]))).toEqual(
      Array.from({ length: 4 }, () => [[1, true, 200, null]]),
    );

    const shown = await listDeliveries(await readerViewer(), request.id);
    expect(shown.map((d) => [d.eventType, d.kind, d.status, d.attempts])).toEqual([
      ["request.created", "webhook", "delivered", 1],
      ["request.approved", "webhook", "delivered", 1],
      ["request.executed", "webhook", "delivered", 1],
      ["request.result", "webhook", "delivered", 1],
    ]);
    expect(shown[0]!.target).toBe(`${receiver.url}/hooks/countersign`);
  });

  it("a receiver that fails 3 times (HTTP 500) gets the event on the 4th attempt, on the backoff schedule", async () => {
    const { agent } = await makeAgent();
    receiver.respond(failFirst(3, 500));
    const request = await fileWithCallback(agent, T0);

    let when = T0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await drainOutboxOnce({ now: when })).toBe(1);
      const { outbox } = await onlyRow(request.id);
      const next = new Date(when.getTime() + backoffMs(attempt));
      expect(outbox).toMatchObject({ status: "pending", attempts: attempt, nextAttemptAt: next, lastError: "receiver answered 500", leaseUntil: null });
      // Not a moment before its time.
      expect(await drainOutboxOnce({ now: new Date(next.getTime() - 1) })).toBe(0);
      if (attempt === 1) {
        const [shown] = await listDeliveries(await readerViewer(), request.id, { now: when });
        expect(shown).toMatchObject({ status: "retrying", attempts: 1, nextAttemptAt: next, lastError: "receiver answered 500" });
        expect(shown!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, ok: false, statusCode: 500 })]);
      }
      when = next;
    }
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(2)).toBe(2000);
    expect(backoffMs(3)).toBe(4000);
    expect(await drainOutboxOnce({ now: when })).toBe(1);

    const { outbox, attempts } = await onlyRow(request.id);
    expect(outbox).toMatchObject({ status: "delivered", attempts: 4, deliveredAt: when, lastError: null });
    expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode, a.error])).toEqual([
      [1, false, 500, "receiver answered 500"],
      [2, false, 500, "receiver answered 500"],
      [3, false, 500, "receiver answered 500"],
      [4, true, 200, null],
    ]);
    expect(attempts.map((a) => a.at)).toEqual([T0, at(1000), at(3000), at(7000)]);
    for (const a of attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);

    // The same event each time: one event id, one body, each attempt freshly signed.
    const hits = receiver.deliveriesOf(outbox.eventId);
    expect(receiver.received).toHaveLength(4);
    expect(hits.map((h) => h.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(hits.map((h) => h.body)).size).toBe(1);
    for (const hit of hits) expect(verifyWebhook(secretOf(agent), hit.body, hit.signature, nowSeconds())).toBe(true);
    expect(await drainOutboxOnce({ now: FAR })).toBe(0);
  });

  it("a 429 with Retry-After pushes the next attempt at least that far", async () => {
    const { agent } = await makeAgent();
    receiver.respond(failFirst(1, 429, { "retry-after": "120" }));
    const request = await fileWithCallback(agent, T0);

    expect(await drainOutboxOnce({ now: T0 })).toBe(1);
    const { outbox, attempts } = await onlyRow(request.id);
    expect(outbox.status).toBe("pending");
    expect(outbox.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(at(120_000).getTime());
    expect(attempts.map((a) => [a.ok, a.statusCode])).toEqual([[false, 429]]);
    // The plain backoff (1 s) would have retried long before.
    expect(await drainOutboxOnce({ now: at(backoffMs(1)) })).toBe(0);
    expect(await drainOutboxOnce({ now: at(119_999) })).toBe(0);
    expect(await drainOutboxOnce({ now: outbox.nextAttemptAt })).toBe(1);
    expect((await onlyRow(request.id)).outbox).toMatchObject({ status: "delivered", attempts: 2 });
    expect(receiver.received.map((h) => h.answered)).toEqual([429, 200]);
  });

  it(`after ${MAX_ATTEMPTS} failed attempts the row is dead and never tried again`, async () => {
    const { agent } = await makeAgent();
    receiver.respond(() => ({ status: 503 }));
    const request = await fileWithCallback(agent, T0);

    let when = T0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await drainOutboxOnce({ now: when })).toBe(1);
      const { outbox } = await onlyRow(request.id);
      expect(outbox.attempts).toBe(attempt);
      expect(outbox.status).toBe(attempt < MAX_ATTEMPTS ? "pending" : "dead");
      when = outbox.nextAttemptAt;
    }
    const { outbox, attempts } = await onlyRow(request.id);
    expect(outbox).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS, lastError: "receiver answered 503", deliveredAt: null });
    expect(attempts).toHaveLength(MAX_ATTEMPTS);
    expect(attempts.every((a) => !a.ok && a.statusCode === 503)).toBe(true);
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);

    receiver.respond(accept);
    expect(await drainOutboxOnce({ now: FAR })).toBe(0);
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
    const [shown] = await listDeliveries(await readerViewer(), request.id);
    expect(shown).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS, nextAttemptAt: null, lastError: "receiver answered 503" });
  });

  it("an unreachable receiver is recorded as a failed attempt with the network error and no status code", async () => {
    const { agent } = await makeAgent();
    const closed = await startWebhookReceiver();
    const deadUrl = `${closed.url}/gone`;
    await closed.close();
    const { request } = await createRequest(agent, requestBody({ callback_url: deadUrl }), { now: T0 });

    expect(await drainOutboxOnce({ now: T0 })).toBe(1);
    const { outbox, attempts } = await onlyRow(request.id);
    expect(outbox).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: at(backoffMs(1)) });
    expect(attempts).toEqual([expect.objectContaining({ attempt: 1, ok: false, statusCode: null, error: expect.stringMatching(/fetch failed|ECONNREFUSED/) })]);
    expect(outbox.lastError).toBe(attempts[0]!.error);
  });
});

describe("callback URLs cannot reach private networks (SSRF)", () => {
  it("with private networks not allowed (the production default), loopback, private and link-local targets are refused before connecting", async () => {
    const { agent } = await makeAgent();
    const port = new URL(receiver.url).port;
    const targets = [
      `${receiver.url}/hooks/countersign`, // 127.0.0.1, where a receiver does listen
      `http://localhost:${port}/hooks/countersign`, // a name that resolves to loopback
      "http://169.254.169.254/latest/meta-data/", // cloud metadata (link-local)
      "http://10.1.2.3/internal", // RFC 1918
      "http://[::1]:9/", // IPv6 loopback
    ];
    process.env.COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS = "false";
    resetEnvCache();
    try {
      const requests = [];
      for (const [i, url] of targets.entries()) {
        requests.push((await createRequest(agent, requestBody({ callback_url: url, resource: `svc/ssrf-${i}` }), { now: T0 })).request);
      }
      expect(await drainOutboxOnce({ now: T0 })).toBe(targets.length);
      for (const request of requests) {
        const { outbox, attempts } = await onlyRow(request.id);
        expect(outbox).toMatchObject({ status: "pending", attempts: 1 });
        expect(attempts[0]).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/is not allowed\. Because,? It is (private|meta) IP address/) });
      }
      // Refused every time until the row gives up; nothing ever reached the receiver.
      for (let pass = 1; pass < MAX_ATTEMPTS; pass++) await drainOutboxOnce({ now: at(pass * 365 * DAY) });
      for (const request of requests) expect((await onlyRow(request.id)).outbox.status).toBe("dead");
      expect(receiver.received).toEqual([]);
    } finally {
      delete process.env.COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS;
      resetEnvCache();
    }
  });
});

describe("what is not announced", () => {
  it("no outbox row for a request without callback_url, whatever happens to it", async () => {
    const before = await outboxCount();
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody(), { now: T0 });
    await decideAs(request.id, oncall(), "approve", undefined, "console", { now: at(1000) });
    await claimApproval(agent, request.id, { now: at(2000) });
    await reportResult(agent, request.id, { status: "failed" }, { now: at(3000) });
    const { request: cancelled } = await createRequest(agent, requestBody({ resource: "svc/cancel-me" }), { now: T0 });
    await cancelRequest(agent, cancelled.id, "changed my mind", { now: at(1000) });

    expect(await outboxCount()).toBe(before);
    expect(await drainOutboxOnce({ now: FAR })).toBe(0);
    expect(receiver.received).toEqual([]);
    expect(await listDeliveries(await readerViewer(), request.id)).toEqual([]);
  });

  it("no outbox row for a refused transition: each refusal leaves exactly the rows of the changes that happened", async () => {
    const { agent } = await makeAgent();
    const before = await outboxCount();
    const request = await fileWithCallback(agent, T0);
    const types = async () => (await deliveriesOf(request.id)).map((d) => (d.outbox.payload as { type: string }).type);
    expect(await types()).toEqual(["request.created"]);

    // Refused before any change: wrong approver group, missing deny note, cancel of nothing executed.
    expect(await errorCode(decideAs(request.id, security(), "approve", undefined, "console", { now: at(500) }))).toBe("not_eligible");
    expect(await errorCode(decideAs(request.id, oncall("rita"), "deny", "  ", "console", { now: at(500) }))).toBe("invalid_request");
    expect(await errorCode(claimApproval(agent, request.id, { now: at(500) }))).toBe("not_approved");
    expect(await types()).toEqual(["request.created"]);

    await decideAs(request.id, oncall(), "approve", undefined, "console", { now: at(1000) });
    expect(await errorCode(decideAs(request.id, oncall("rita"), "approve", undefined, "console", { now: at(1500) }))).toBe("already_decided");
    expect(await errorCode(decideAs(request.id, oncall("rita"), "deny", "too late", "console", { now: at(1500) }))).toBe("already_decided");
    expect(await errorCode(cancelRequest(agent, request.id, undefined, { now: at(1500) }))).toBe("not_pending");
    expect(await errorCode(reportResult(agent, request.id, { status: "succeeded" }, { now: at(1500) }))).toBe("not_executed");
    expect(await types()).toEqual(["request.created", "request.approved"]);

    await claimApproval(agent, request.id, { now: at(2000) });
    expect(await errorCode(claimApproval(agent, request.id, { now: at(2500) }))).toBe("already_executed");
    await reportResult(agent, request.id, { status: "succeeded" }, { now: at(3000) });
    expect(await errorCode(reportResult(agent, request.id, { status: "failed" }, { now: at(3500) }))).toBe("result_already_reported");

    expect(await types()).toEqual(["request.created", "request.approved", "request.executed", "request.result"]);
    expect(await outboxCount()).toBe(before + 4);
  });

  it("a refusal that records an expiry announces the expiry once, and nothing for the refused vote", async () => {
    const { agent } = await makeAgent();
    const request = await fileWithCallback(agent, T0);
    const late = new Date(new Date(request.decision_deadline).getTime() + 1000);
    expect(await errorCode(decideAs(request.id, oncall(), "approve", undefined, "console", { now: late }))).toBe("expired");
    expect(await errorCode(decideAs(request.id, oncall("rita"), "approve", undefined, "console", { now: late }))).toBe("expired");
    const rows = await deliveriesOf(request.id);
    expect(rows.map((d) => (d.outbox.payload as Payload).type)).toEqual(["request.created", "request.expired"]);
    expect((rows[1]!.outbox.payload as Payload).request.status).toBe("expired");
  });

  it("a create rolled back by an idempotency race leaves one request and one outbox row", async () => {
    const { agent } = await makeAgent();
    const before = await outboxCount();
    const body = requestBody({ callback_url: `${receiver.url}/hooks/countersign`, resource: "svc/idempotent" });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => createRequest(agent, body, { now: T0, idempotencyKey: "release-once" })),
    );
    expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    // Same key, another body: refused, nothing written.
    expect(
      await errorCode(createRequest(agent, { ...body, intent: "something else" }, { now: T0, idempotencyKey: "release-once" })),
    ).toBe("idempotency_conflict");
    expect(await outboxCount()).toBe(before + 1);
    expect(await deliveriesOf(results[0]!.request.id)).toHaveLength(1);
  });
});

describe("listDeliveries (the request page's data)", () => {
  it("needs the read capability", async () => {
    const { agent } = await makeAgent();
    const request = await fileWithCallback(agent, T0);
    expect(await errorCode(listDeliveries(null, request.id))).toBe("unauthorized");
    expect(await errorCode(listDeliveries(await viewerAs(reviewer("eve", ["contractors"])), request.id))).toBe("forbidden");
    expect(await listDeliveries(await viewerAs(oncall()), request.id)).toEqual([
      expect.objectContaining({ status: "queued", attempts: 0, kind: "webhook", eventType: "request.created" }),
    ]);
  });

  it("masks credentials and query strings in the target, and shows a dead worker's lease as retrying", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(
      agent,
      requestBody({ callback_url: "http://user:hunter2@127.0.0.1:9/hooks?token=s3cret" }),
      { now: T0 },
    );
    const viewer = await readerViewer();
    const [queued] = await listDeliveries(viewer, request.id);
    expect(queued!.target).toBe("http://***@127.0.0.1:9/hooks?…");

    // Claimed by a worker that then hangs: "sending" while its lease runs, "retrying" once it lapsed.
    void drainOutboxOnce({ now: T0, leaseMs: 5000, afterClaim: () => new Promise(() => {}) });
    await expect.poll(async () => (await onlyRow(request.id)).outbox.status).toBe("sending");
    expect((await listDeliveries(viewer, request.id, { now: at(4999) }))[0]!.status).toBe("sending");
    expect((await listDeliveries(viewer, request.id, { now: at(5001) }))[0]).toMatchObject({ status: "retrying", nextAttemptAt: at(5001) });
    // Settle it, so nothing re-claims it later (the hung pass never sends).
    const { outbox } = await onlyRow(request.id);
    await finishOutbox(await getDb(), outbox.id, { status: "dead", at: at(6000), error: "test: abandoned" });
  });
});
