// Each audit event's MAC, under a key the database never holds (lib/evidence/keys.ts), written with
// the row at insert. A row inserted with only the database's credentials carries no valid MAC, and
// `audit verify` names it even after the sealer chained it.
//
//   mac = kid ":" lowercase_hex( HMAC-SHA256( key[kid], utf8( canonical_json(content without seq) ) ) )
//
// where the content is chain.ts's (`eventContent`): the hashed fields less `seq`, which the sealer
// assigns after commit.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { NewAuditEvent } from "@/db/queries/audit";
import { keyRing, type KeyRing, type MacKey } from "@/lib/evidence/keys";
import { eventCanonical } from "./chain";

export function macOf(key: MacKey, contentCanonical: string): string {
  return `${key.kid}:${createHmac("sha256", key.secret).update(contentCanonical, "utf8").digest("hex")}`;
}

/** The rows with their MACs, ready to insert (MACs already present are recomputed: never trusted). */
export async function withMacs(rows: NewAuditEvent[]): Promise<NewAuditEvent[]> {
  if (rows.length === 0) return rows;
  const { mac } = await keyRing();
  return rows.map((row) => ({ ...row, mac: macOf(mac, eventCanonical(row as Parameters<typeof eventCanonical>[0])) }));
}

export type MacCheck = { ok: true } | { ok: false; reason: string };

/** Checks a stored MAC against the event's canonical content, under the active or a retired key. */
export function macChecker(ring: Pick<KeyRing, "mac" | "previousMacs">): (stored: string | null, contentCanonical: string) => MacCheck {
  const keys = new Map<string, Buffer>(ring.previousMacs);
  keys.set(ring.mac.kid, ring.mac.secret);
  return (stored, contentCanonical) => {
    if (!stored) return { ok: false, reason: "missing MAC: the event was not written by Countersign (inserted with database credentials only?)" };
    const colon = stored.lastIndexOf(":");
    const kid = colon > 0 ? stored.slice(0, colon) : "";
    const secret = keys.get(kid);
    if (!secret) return { ok: false, reason: `MAC under an unknown key id "${kid}"` };
    const expected = createHmac("sha256", secret).update(contentCanonical, "utf8").digest();
    const given = Buffer.from(stored.slice(colon + 1), "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: "bad MAC: the event's content does not match the MAC written with it (forged or altered row)" };
    }
    return { ok: true };
  };
}
