// Drains the notification outbox: claim due rows under a lease, deliver, record the attempt, and
// either finish or schedule a retry with exponential backoff. A worker killed between claim and
// outcome leaves its rows "sending" until the lease expires; then any worker re-claims them, so
// every event is delivered at least once (receivers de-duplicate on the event id).
import http from "node:http";
import https from "node:https";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import { getDb } from "@/db/client";
import { claimDueOutbox, finishOutbox, recordAttempt } from "@/db/queries/outbox";
import { findRequest } from "@/db/queries/requests";
import type { OutboxRow } from "@/db/schema";
import { env, webhookMasterSecret } from "@/lib/config/env";
import { log } from "@/lib/log";
import { backgroundPass } from "@/lib/runtime/background-pass";
import { sendSlackChannelNotice, sendSlackGroupDms, sendSlackRequesterDm, sendSlackThreadNotice } from "@/lib/slack/notices";
import { sendSlackPost, sendSlackUpdate } from "@/lib/slack/sender";
import { sendTeamsPost } from "@/lib/teams/sender";
import { httpFailure, thrownFailure, type Delivery } from "./delivery";
import { agentWebhookSecret, EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from "./webhook-signature";

export type { Delivery };
export type Sender = (row: OutboxRow) => Promise<Delivery>;

export const MAX_ATTEMPTS = 10;
const SEND_TIMEOUT_MS = 10_000;

/** 1 s, 2 s, 4 s … capped at 15 minutes; a receiver's Retry-After wins when it is longer. */
export function backoffMs(attempt: number, retryAfterMs?: number): number {
  const exp = Math.min(15 * 60_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(exp, retryAfterMs ?? 0);
}

/**
 * The agent an agent-supplied callback URL is sent through: it refuses private, loopback,
 * link-local and reserved addresses (IP literals and every address a name resolves to, checked at
 * connect time, so DNS rebinding gains nothing) unless private networks are allowed — the default
 * outside production, and COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true in it.
 */
const agents = new Map<string, http.Agent>();
function webhookAgent(url: URL): http.Agent {
  const allowPrivateIPAddress = env().COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? env().NODE_ENV !== "production";
  const key = `${url.protocol}${allowPrivateIPAddress}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { allowPrivateIPAddress };
    agent = url.protocol === "https:" ? new RequestFilteringHttpsAgent(options) : new RequestFilteringHttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** POST without following redirects; resolves with the status and Retry-After, the body discarded. */
function post(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? https : http).request(url, {
      method: "POST",
      agent: webhookAgent(url),
      headers: { ...headers, "content-length": Buffer.byteLength(body) },
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    request.once("error", reject);
    request.once("response", (res) => {
      res.resume();
      const retryAfter = res.headers["retry-after"];
      resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === "string" ? retryAfter : null });
    });
    request.end(body);
  });
}

async function sendWebhook(row: OutboxRow): Promise<Delivery> {
  const db = await getDb();
  const request = await findRequest(db, row.requestId);
  if (!request) return { ok: false, error: "request no longer exists" };
  const body = JSON.stringify(row.payload);
  const signature = signWebhook(agentWebhookSecret(webhookMasterSecret(), request.agentId), body, Math.floor(Date.now() / 1000));
  try {
    const res = await post(
      new URL(row.target),
      {
        "content-type": "application/json",
        "user-agent": "Countersign-Webhooks/1",
        [SIGNATURE_HEADER]: signature,
        [EVENT_ID_HEADER]: row.eventId,
      },
      body,
    );
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status };
    return httpFailure("receiver", res.status, res.retryAfter);
  } catch (err) {
    return thrownFailure(err);
  }
}

export const SENDERS: Record<string, Sender> = {
  webhook: sendWebhook,
  "slack.post": sendSlackPost,
  "slack.update": sendSlackUpdate,
  "slack.thread": sendSlackThreadNotice,
  "slack.channel": sendSlackChannelNotice,
  "slack.dm_groups": sendSlackGroupDms,
  "slack.dm_requester": sendSlackRequesterDm,
  "teams.post": sendTeamsPost,
};

export type RunOptions = {
  now?: Date;
  leaseMs?: number;
  limit?: number;
  senders?: Record<string, Sender>;
  /** Test seam: called after rows are claimed (committed) and before any is sent. */
  afterClaim?: (rows: OutboxRow[]) => Promise<void>;
};

/** One pass: claim, deliver, record. Returns how many rows it handled. */
export async function drainOutboxOnce(opts: RunOptions = {}): Promise<number> {
  const db = await getDb();
  const now = opts.now ?? new Date();
  // One statement (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)): atomic on its own.
  const claimed = await claimDueOutbox(db, now, opts.leaseMs ?? env().COUNTERSIGN_OUTBOX_LEASE_MS, opts.limit ?? 20);
  if (claimed.length === 0) return 0;
  await opts.afterClaim?.(claimed);
  const senders = opts.senders ?? SENDERS;
  await Promise.all(
    claimed.map(async (row) => {
      const started = performance.now();
      const send = senders[row.kind];
      const result: Delivery = send ? await send(row) : { ok: false, error: `no sender for ${row.kind}` };
      const at = opts.now ?? new Date();
      const dead = !result.ok && row.attempts >= MAX_ATTEMPTS;
      await db.transaction(async (tx) => {
        await recordAttempt(tx, {
          outboxId: row.id,
          attempt: row.attempts,
          at,
          ok: result.ok,
          statusCode: result.statusCode ?? null,
          error: result.error ?? null,
          durationMs: Math.round(performance.now() - started),
        });
        await finishOutbox(tx, row.id, {
          status: result.ok ? "delivered" : dead ? "dead" : "pending",
          at,
          nextAttemptAt: result.ok || dead ? undefined : new Date(at.getTime() + backoffMs(row.attempts, result.retryAfterMs)),
          error: result.error,
        });
      });
      if (!result.ok) log.warn({ kind: row.kind, eventId: row.eventId, attempt: row.attempts, error: result.error }, "notification delivery failed");
    }),
  );
  return claimed.length;
}

const worker = backgroundPass({
  key: "outbox-worker",
  delayMs: 0,
  failure: "outbox worker pass failed; will retry",
  run: async () => {
    while ((await drainOutboxOnce()) > 0);
  },
});

/** Drain soon (after a transition committed rows); coalesces while a pass runs. */
export const kickOutbox = worker.kick;
/** Waits for any pass in flight, so a shutdown does not close the database under a delivery. */
export const settleOutbox = worker.settle;
export const startOutboxWorker = (intervalMs = env().COUNTERSIGN_OUTBOX_INTERVAL_MS) => worker.start(intervalMs);
