// The audit chain's hashing rule, in one place so the sealer, the verifier and the README agree:
//   hash_n = SHA-256( prev_hash_n || canonical_json(content_n) ), prev_hash_1 = 64 × "0"
// where content_n is the object below (RFC 8785 canonical JSON; times as ISO-8601 UTC with ms).
//
// The event's MAC (lib/audit/mac.ts) covers the same content without `seq` (which the sealer assigns
// after commit). RFC 8785 sorts members by key, and the top-level keys are fixed: `seq` sorts
// between `risk_level` and `type`, the last member. So both texts come from one canonicalisation:
// the hashed one is the MAC'd one with `"seq":N,` inserted before the final `"type":…` member.
import type { AuditEventRow } from "@/db/schema";
import { canonicalJson, sha256Hex } from "./canonical";

export const GENESIS_HASH = "0".repeat(64);

type HashedFields = Pick<
  AuditEventRow,
  "eventId" | "occurredAt" | "type" | "actor" | "channel" | "requestId" | "agentId" | "action" | "environment" | "riskLevel" | "outcome" | "payload"
>;

/** The hashed content without its chain position: what the event's MAC covers. */
export function eventContent(e: HashedFields) {
  return {
    event_id: e.eventId,
    occurred_at: e.occurredAt.toISOString(),
    type: e.type,
    actor: e.actor,
    channel: e.channel,
    request_id: e.requestId ?? null,
    agent_id: e.agentId ?? null,
    action: e.action ?? null,
    environment: e.environment ?? null,
    risk_level: e.riskLevel ?? null,
    outcome: e.outcome ?? null,
    payload: e.payload,
  };
}

export function chainContent(e: HashedFields, seq: number) {
  return { seq, ...eventContent(e) };
}

/** canonical_json(eventContent(e)): the MAC's input. */
export function eventCanonical(e: HashedFields): string {
  return canonicalJson(eventContent(e));
}

/** canonical_json(chainContent(e, seq)), derived from the event's canonical text without `seq`. */
export function chainCanonical(contentCanonical: string, type: string, seq: number): string {
  const tail = `"type":${canonicalJson(type)}}`;
  if (!Number.isSafeInteger(seq) || !contentCanonical.endsWith(tail)) throw new TypeError("not an event's canonical content");
  return `${contentCanonical.slice(0, contentCanonical.length - tail.length)}"seq":${seq},${tail}`;
}

/** The chain hash from the event's canonical content (the verifier canonicalises once for hash and MAC). */
export function chainHashOf(prevHash: string, contentCanonical: string, type: string, seq: number): string {
  return sha256Hex(prevHash + chainCanonical(contentCanonical, type, seq));
}

export function chainHash(prevHash: string, e: HashedFields, seq: number): string {
  return chainHashOf(prevHash, eventCanonical(e), e.type, seq);
}

/** The columns of a sealed row that `eventContentCanonical` reads (a ChainRow has them all). */
export type ContentColumns = {
  eventId: string;
  occurredAtMs: number;
  type: string;
  actor: unknown;
  channel: string;
  requestId: string | null;
  agentId: string | null;
  action: string | null;
  environment: string | null;
  riskLevel: string | null;
  outcome: string | null;
  payload: unknown;
};

/** The row's columns as the hashed fields eventCanonical reads (occurred_at as a Date). */
export function hashedFieldsOf(r: ContentColumns): HashedFields {
  return {
    eventId: r.eventId,
    occurredAt: new Date(r.occurredAtMs),
    type: r.type,
    actor: r.actor,
    channel: r.channel,
    requestId: r.requestId,
    agentId: r.agentId,
    action: r.action,
    environment: r.environment,
    riskLevel: r.riskLevel,
    outcome: r.outcome,
    payload: r.payload,
  } as HashedFields;
}

const str = (v: string | null) => (v === null ? "null" : JSON.stringify(v));
/** What JSON.stringify writes for a lone surrogate (canonical.ts hands those to the reference). */
const ESCAPED_SURROGATE = /\\ud[89a-f]/i;

/**
 * `eventCanonical` for a row read as columns, written member by member: the top level's members
 * are fixed and their RFC 8785 order is known (action, actor, agent_id, channel, environment,
 * event_id, occurred_at, outcome, payload, request_id, risk_level, type), so only `actor` and
 * `payload` go through canonicalJson. Byte for byte eventCanonical's (chain.test.ts holds them
 * equal on arbitrary rows); anything unusual (a non-string where a string belongs, a lone
 * surrogate) takes eventCanonical itself. The verifier's hot path: one call per event.
 */
export function eventContentCanonical(r: ContentColumns): string {
  const fallback = () => eventCanonical(hashedFieldsOf(r));
  if (
    r.actor === undefined ||
    r.payload === undefined ||
    typeof r.eventId !== "string" ||
    typeof r.type !== "string" ||
    typeof r.channel !== "string" ||
    !Number.isFinite(r.occurredAtMs) ||
    (r.requestId !== null && typeof r.requestId !== "string") ||
    (r.agentId !== null && typeof r.agentId !== "string") ||
    (r.action !== null && typeof r.action !== "string") ||
    (r.environment !== null && typeof r.environment !== "string") ||
    (r.riskLevel !== null && typeof r.riskLevel !== "string") ||
    (r.outcome !== null && typeof r.outcome !== "string")
  ) {
    return fallback();
  }
  const out =
    `{"action":${str(r.action)},"actor":${canonicalJson(r.actor)},"agent_id":${str(r.agentId)},"channel":${JSON.stringify(r.channel)},` +
    `"environment":${str(r.environment)},"event_id":${JSON.stringify(r.eventId)},"occurred_at":"${new Date(r.occurredAtMs).toISOString()}",` +
    `"outcome":${str(r.outcome)},"payload":${canonicalJson(r.payload)},"request_id":${str(r.requestId)},"risk_level":${str(r.riskLevel)},` +
    `"type":${JSON.stringify(r.type)}}`;
  return ESCAPED_SURROGATE.test(out) ? fallback() : out;
}
