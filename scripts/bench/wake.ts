// Decision-to-wake latency: sequential rounds of "agent files a request, long-polls it on the app,
// a reviewer decides from this process (its own database handle, like another instance would)".
//
// The decision commits at some instant inside the `decideRequest` call, which this process cannot
// observe directly, so each round records three clocks against the long-poll's response time:
//   - from_decide_start: response − call start.   An upper bound (includes the decision's own work).
//   - from_notify:       response − when this process's own LISTEN received the NOTIFY. The best
//                        estimate of the commit instant (NOTIFY is delivered at commit, ~0.2 ms).
//   - from_decide_end:   response − call resolved. A lower bound (may even be negative).
import fs from "node:fs";
import type { DatabaseHandle } from "@/db/client";
import { requestBody } from "./load";

export type WakeSample = {
  from_decide_start: number;
  from_notify: number | null;
  from_decide_end: number;
  decide_call: number;
  /** A plain `GET /api/v1/requests/{id}` (auth + read, no wait) right after: the floor a wake sits on. */
  plain_get: number;
  /** Which of `pollUrls` the long-poll waited on (0 when there is one). */
  instance: number;
};

export type WakeOptions = {
  appUrl: string;
  agentKey: string;
  databaseUrl: string;
  policyPath: string;
  rounds: number;
  warmupRounds: number;
  /** How long to let the long-poll park on the server before deciding. */
  settleMs: number;
  waitSeconds?: number;
  /**
   * Instances to long-poll on, round-robin (default: appUrl): with two instances of one database,
   * rounds alternate between the deciding instance and the other one.
   */
  pollUrls?: string[];
  /** Decide through this instance's reviewer API (a token's POST …/approve) instead of in this process. */
  decideVia?: string;
};

/**
 * `missed`: rounds whose long-poll was not answered within MISS_AFTER_MS of the decision. The
 * API long-polls for a change from the state it first read, so a poll that had not parked before
 * the decision committed first reads "approved" and then waits out its full `wait`: such a round
 * measures the bench's timing, not the wake, and is counted and reported instead of measured.
 */
export type WakeResult = { samples: WakeSample[]; earlyAnswers: number; missed: number };

const MISS_AFTER_MS = 5_000;

/** The deciding reviewer, as an identity the bench's own issuer vouches for. */
const REVIEWER = {
  issuer: "urn:countersign:bench",
  subject: "bench-reviewer",
  idp: "okta" as const,
  login: "bench.reviewer@example.com",
  email: "bench.reviewer@example.com",
  emailVerified: true,
  name: "Bench Reviewer",
  groups: ["platform-oncall"],
};

/** The reviewer's side of a wake round, in this process: decides, and notes when each approval's NOTIFY arrived. */
export type ReviewerSide = {
  approve(id: string): Promise<void>;
  /** Approves through an instance's reviewer API (`POST /api/v1/reviews/{id}/approve`) with a decide token. */
  approveVia(baseUrl: string, id: string): Promise<void>;
  /**
   * When this process's LISTEN saw request `id` approved (performance.now()), once; waits up to
   * `waitMs` for it. The app may answer its waiter before this process has handled the same
   * NOTIFY: that round is then measured (from_notify ≤ 0), not lost.
   */
  takeNotifiedAt(id: string, waitMs?: number): Promise<number | undefined>;
  close(): Promise<void>;
};

export async function openReviewerSide(opts: { databaseUrl: string; policyPath: string }): Promise<ReviewerSide> {
  // The domain module reads env and logs at import: quiet it, and point it at the app's database.
  process.env.LOG_LEVEL ??= "warn";
  const { openDatabase, setDatabaseForProcess, closeDatabase } = await import("@/db/client");
  const { parsePolicy, setActivePolicyForTests } = await import("@/lib/policy/load");
  const { decideRequest } = await import("@/lib/requests/lifecycle");
  (await import("@/lib/runtime/wiring")).wireRequestEffects();
  const { recordIdentity } = await import("@/lib/auth/people");
  const { sealPendingAuditEvents, settleSealer } = await import("@/lib/audit/sealer");
  const { createReviewerToken } = await import("@/lib/auth/reviewer-tokens");

  const handle: DatabaseHandle = await openDatabase({ databaseUrl: opts.databaseUrl, poolSize: 2 });
  setDatabaseForProcess(handle);
  setActivePolicyForTests(parsePolicy(fs.readFileSync(opts.policyPath, "utf8"), opts.policyPath));
  const identity = await recordIdentity({ ...REVIEWER, authTime: new Date() });
  const reviewer = { kind: "person" as const, personId: identity.personId };
  let token: string | null = null;
  const reviewerToken = async () => {
    const viewer = {
      sessionId: "bench",
      personId: identity.personId,
      identityId: identity.id,
      name: REVIEWER.name,
      email: REVIEWER.email,
      idp: REVIEWER.idp,
      emails: [REVIEWER.email],
      groups: REVIEWER.groups,
      roles: ["reviewer" as const],
      authTime: null,
    };
    token ??= (await createReviewerToken(viewer, { name: "bench wake", scopes: ["read", "decide"], expiresInDays: 7 })).token;
    return token;
  };

  const notified = new Map<string, number>();
  const awaited = new Map<string, (at: number) => void>();
  const unlisten = await handle.listen("countersign_requests", (payload) => {
    const at = performance.now();
    const change = JSON.parse(payload) as { id: string; status: string };
    if (change.status !== "approved" || notified.has(change.id)) return;
    notified.set(change.id, at);
    awaited.get(change.id)?.(at);
  });
  return {
    async approve(id) {
      await decideRequest(id, reviewer, "approve", "bench", "console");
    },
    async approveVia(baseUrl, id) {
      const res = await fetch(`${baseUrl}/api/v1/reviews/${id}/approve`, {
        method: "POST",
        headers: { authorization: `Bearer ${await reviewerToken()}`, "content-type": "application/json" },
        body: "{}",
      });
      if (res.status !== 200) throw new Error(`approve via ${baseUrl} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer().catch(() => undefined);
    },
    async takeNotifiedAt(id, waitMs = 1_000) {
      let at = notified.get(id);
      if (at === undefined) {
        at = await new Promise<number | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), waitMs);
          awaited.set(id, (seen) => {
            clearTimeout(timer);
            resolve(seen);
          });
        });
        awaited.delete(id);
      }
      notified.delete(id);
      return at;
    },
    async close() {
      await unlisten();
      await sealPendingAuditEvents().catch(() => undefined);
      // Let the background seal passes the decisions kicked finish first: one that starts after the
      // close would open the default (embedded) database instead.
      await settleSealer().catch(() => undefined);
      await closeDatabase();
    },
  };
}

export async function runWakeRounds(opts: WakeOptions): Promise<WakeResult> {
  const side = await openReviewerSide(opts);
  const auth = { authorization: `Bearer ${opts.agentKey}` };
  const samples: WakeSample[] = [];
  let earlyAnswers = 0;
  let missed = 0;
  try {
    for (let i = 0; i < opts.warmupRounds + opts.rounds; i++) {
      const created = await fetch(`${opts.appUrl}/api/v1/requests`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: requestBody(`svc/payments-api/wake/${i}`, "bench-wake"),
      });
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
      const { id } = (await created.json()) as { id: string };

      let answeredAt = 0;
      const abandon = new AbortController();
      const pollUrls = opts.pollUrls ?? [opts.appUrl];
      const instance = i % pollUrls.length;
      const poll = fetch(`${pollUrls[instance]}/api/v1/requests/${id}?wait=${opts.waitSeconds ?? 30}`, { headers: auth, signal: abandon.signal }).then(
        async (res) => {
          const body = (await res.json()) as { status: string };
          answeredAt = performance.now();
          return { status: res.status, body };
        },
        (err: unknown) => {
          if (abandon.signal.aborted) return null;
          throw err;
        },
      );
      await new Promise((r) => setTimeout(r, opts.settleMs));
      if (answeredAt !== 0) {
        earlyAnswers += 1; // answered while nothing had changed: a bug, reported by the caller
        continue;
      }

      const start = performance.now();
      if (opts.decideVia) await side.approveVia(opts.decideVia, id);
      else await side.approve(id);
      const end = performance.now();
      const guard = setTimeout(() => abandon.abort(), MISS_AFTER_MS);
      const res = await poll;
      clearTimeout(guard);
      const notifiedAt = await side.takeNotifiedAt(id);
      if (res === null) {
        missed += 1;
        continue;
      }
      if (res.status !== 200 || res.body.status !== "approved") throw new Error(`round ${i}: long-poll answered ${res.status} ${res.body.status}`);
      if (i < opts.warmupRounds) continue;
      const getStart = performance.now();
      const plain = await fetch(`${pollUrls[instance]}/api/v1/requests/${id}`, { headers: auth });
      await plain.arrayBuffer();
      const plainGet = performance.now() - getStart;
      samples.push({
        plain_get: plainGet,
        from_decide_start: answeredAt - start,
        from_notify: notifiedAt === undefined ? null : answeredAt - notifiedAt,
        from_decide_end: answeredAt - end,
        decide_call: end - start,
        instance,
      });
    }
  } finally {
    await side.close();
  }
  return { samples, earlyAnswers, missed };
}
