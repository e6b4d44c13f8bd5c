// The audit chain's hashing rule, in one place so the sealer, the verifier and the README agree:
//   hash_n = SHA-256( prev_hash_n || canonical_json(content_n) ), prev_hash_1 = 64 × "0"
// where content_n is the object below (RFC 8785 canonical JSON; times as ISO-8601 UTC with ms).
import type { AuditEventRow } from "@/db/schema";
import { canonicalJson, sha256Hex } from "./canonical";

export const GENESIS_HASH = "0".repeat(64);

export function chainContent(e: AuditEventRow, seq: number) {
  return {
    seq,
    event_id: e.eventId,
    occurred_at: e.occurredAt.toISOString(),
    type: e.type,
    actor: e.actor,
    channel: e.channel,
    request_id: e.requestId,
    agent_id: e.agentId,
    action: e.action,
    environment: e.environment,
    risk_level: e.riskLevel,
    outcome: e.outcome,
    payload: e.payload,
  };
}

export function chainHash(prevHash: string, e: AuditEventRow, seq: number): string {
  return sha256Hex(prevHash + canonicalJson(chainContent(e, seq)));
}
