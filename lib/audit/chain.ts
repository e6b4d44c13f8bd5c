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
