// Reconciles each request's stored row with its sealed audit events (issue 11): the status, the
// votes and params_hash that the events say, replayed in chain order, must be what the row and
// the reviews table hold. `UPDATE requests SET status='approved'`, an inserted or deleted vote, a
// changed params_hash or a deleted request row is named by its request id.
import type { Database } from "@/db/client";
import { selectRequestStatePage, type ChainRow, type RequestStateRow } from "@/db/queries/audit";

/** What a request's events establish (or, in a ledger fed one stretch of the chain, that stretch's events). */
export type Replayed = {
  created: boolean;
  status: string;
  /** Whether an event in what was observed set `status` (a stretch without one leaves it as it was). */
  statusSet: boolean;
  paramsHash: string | null;
  resultStatus: string | null;
  resultSet: boolean;
  votes: string[];
  /** The last event's position and id, to name where the story ends. */
  lastSeq: number;
  lastEventId: string;
};

const STATUS_OF: Record<string, string> = {
  "request.auto_approved": "approved",
  "request.approved": "approved",
  "request.refused": "denied",
  "request.denied": "denied",
  "request.expired": "expired",
  "request.cancelled": "cancelled",
  "request.executed": "executed",
};

const voteKey = (reviewer: string, decision: string, channel: string, atMs: number) => `${reviewer} ${decision} ${channel} ${atMs}`;

export type RequestMismatch = { requestId: string; seq: number; eventId: string | null; reason: string };

export class RequestLedger {
  private readonly byRequest = new Map<string, Replayed>();

  /** Feed every sealed event, in chain order. */
  observe(row: ChainRow): void {
    const id = row.requestId;
    if (id === null) return;
    let r = this.byRequest.get(id);
    if (!r) {
      r = { created: false, status: "pending", statusSet: false, paramsHash: null, resultStatus: null, resultSet: false, votes: [], lastSeq: row.seq, lastEventId: row.eventId };
      this.byRequest.set(id, r);
    }
    r.lastSeq = row.seq;
    r.lastEventId = row.eventId;
    const type = row.type;
    if (type === "request.created") {
      r.created = true;
      r.paramsHash = typeof row.payload.params_hash === "string" ? row.payload.params_hash : null;
    } else if (type === "review.approved" || type === "review.denied") {
      r.votes.push(voteKey(row.actor.id, type === "review.approved" ? "approve" : "deny", row.channel, row.occurredAtMs));
    } else if (type === "request.result") {
      r.resultStatus = typeof row.payload.status === "string" ? row.payload.status : null;
      r.resultSet = true;
    } else {
      const status = STATUS_OF[type];
      if (status) {
        r.status = status;
        r.statusSet = true;
      }
    }
  }

  /** What this ledger replayed, to hand to another (a stretch of the chain verified elsewhere). */
  entries(): [string, Replayed][] {
    return [...this.byRequest];
  }

  /**
   * Continues the replay with a later stretch of the chain replayed by another ledger (a verify
   * worker's chunk): absorbing the stretches in chain order gives what observing every event would.
   */
  absorb(entries: Iterable<[string, Replayed]>): void {
    for (const [id, p] of entries) {
      const r = this.byRequest.get(id);
      if (!r) {
        this.byRequest.set(id, p);
        continue;
      }
      if (p.created) {
        r.created = true;
        r.paramsHash = p.paramsHash;
      }
      if (p.statusSet) {
        r.status = p.status;
        r.statusSet = true;
      }
      if (p.resultSet) {
        r.resultStatus = p.resultStatus;
        r.resultSet = true;
      }
      for (const v of p.votes) r.votes.push(v);
      r.lastSeq = p.lastSeq;
      r.lastEventId = p.lastEventId;
    }
  }

  get requests(): number {
    return this.byRequest.size;
  }

  private static mismatch(row: RequestStateRow, r: Replayed): string | null {
    if (!r.created) return "the request's row has no sealed request.created event";
    if (row.paramsHash !== r.paramsHash) return `params_hash in the row (${row.paramsHash.slice(0, 12)}…) is not the one its request.created event recorded (${String(r.paramsHash).slice(0, 12)}…)`;
    if (row.status !== r.status) return `status in the row is "${row.status}", its sealed events say "${r.status}"`;
    if (row.resultStatus !== r.resultStatus) return `result in the row is "${row.resultStatus ?? "none"}", its sealed events say "${r.resultStatus ?? "none"}"`;
    const stored = row.votes.map(([who, decision, channel, at]) => voteKey(who, decision, channel, at)).sort();
    const sealed = [...r.votes].sort();
    if (stored.length !== sealed.length || stored.some((v, i) => v !== sealed[i])) {
      const extra = stored.filter((v) => !sealed.includes(v));
      const missing = sealed.filter((v) => !stored.includes(v));
      return `votes in the reviews table do not match its sealed review events (${extra.length} without an event${extra[0] ? `, e.g. ${extra[0]}` : ""}; ${missing.length} missing)`;
    }
    return null;
  }

  /**
   * Compares every request row with its replayed events, and returns the first mismatch in
   * request-id order with how many requests were compared. A request with events outside the
   * verified chain (unsealed, or sealed after the walk: `isBeyond`) may legitimately be ahead of
   * it; that is asked only of a request that disagrees, so the check costs nothing when all agree.
   */
  async compare(db: Database, isBeyond: (requestId: string) => Promise<boolean>, page = 10_000): Promise<{ checked: number; mismatch: RequestMismatch | null }> {
    const seen = new Set<string>();
    let checked = 0;
    let after: string | null = null;
    for (;;) {
      const rows = await selectRequestStatePage(db, after, page);
      for (const row of rows) {
        seen.add(row.id);
        checked += 1;
        const r = this.byRequest.get(row.id);
        const found: RequestMismatch | null = !r
          ? { requestId: row.id, seq: 0, eventId: null, reason: "the request's row has no sealed events (inserted outside Countersign?)" }
          : ((reason) => (reason ? { requestId: row.id, seq: r.lastSeq, eventId: r.lastEventId, reason } : null))(RequestLedger.mismatch(row, r));
        if (found && !(await isBeyond(row.id))) return { checked, mismatch: found };
      }
      if (rows.length < page) break;
      after = rows.at(-1)!.id;
    }
    for (const [id, r] of this.byRequest) {
      if (!seen.has(id) && !(await isBeyond(id))) {
        return { checked, mismatch: { requestId: id, seq: r.lastSeq, eventId: r.lastEventId, reason: "sealed events name this request, but its row is gone (deleted?)" } };
      }
    }
    return { checked, mismatch: null };
  }
}
