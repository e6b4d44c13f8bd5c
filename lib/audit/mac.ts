// Each audit event's MAC, under a key the database never holds (lib/evidence/keys.ts), written with
// the row at insert. A row inserted with only the database's credentials carries no valid MAC, and
// `audit verify` names it even after the sealer chained it.
//
//   mac = kid ":" lowercase_hex( HMAC-SHA256( key[kid], utf8( canonical_json(content without seq) ) ) )
//
// where the content is chain.ts's (`eventContent`): the hashed fields less `seq`, which the sealer
// assigns after commit.
import { createHmac, hash, timingSafeEqual } from "node:crypto";
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

const HMAC_BLOCK = 64;

/**
 * HMAC-SHA256 under one key (RFC 2104: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))) as two one-shot hashes
 * over reused buffers: the verifier checks a million MACs, and creating a Hmac object per event cost
 * more than the hashing. Byte for byte createHmac's (mac.test.ts holds them equal on random keys
 * and texts).
 */
export function hmacSha256(secret: Buffer): (text: string) => Buffer {
  const key = secret.length > HMAC_BLOCK ? hash("sha256", secret, "buffer") : secret;
  const ipad = Buffer.alloc(HMAC_BLOCK, 0x36);
  const opad = Buffer.alloc(HMAC_BLOCK, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] = ipad[i]! ^ key[i]!;
    opad[i] = opad[i]! ^ key[i]!;
  }
  let inner = Buffer.allocUnsafe(HMAC_BLOCK + 4096);
  ipad.copy(inner, 0);
  const outer = Buffer.allocUnsafe(HMAC_BLOCK + 32);
  opad.copy(outer, 0);
  return (text) => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (inner.length < HMAC_BLOCK + text.length * 3) {
      inner = Buffer.allocUnsafe(HMAC_BLOCK + text.length * 6);
      ipad.copy(inner, 0);
    }
    const n = inner.write(text, HMAC_BLOCK, "utf8");
    hash("sha256", inner.subarray(0, HMAC_BLOCK + n), "buffer").copy(outer, HMAC_BLOCK);
    return hash("sha256", outer, "buffer");
  };
}

/** Checks a stored MAC against the event's canonical content, under the active or a retired key. */
export function macChecker(ring: Pick<KeyRing, "mac" | "previousMacs">): (stored: string | null, contentCanonical: string) => MacCheck {
  const keys = new Map<string, (text: string) => Buffer>([...ring.previousMacs].map(([kid, secret]) => [kid, hmacSha256(secret)]));
  keys.set(ring.mac.kid, hmacSha256(ring.mac.secret));
  return (stored, contentCanonical) => {
    if (!stored) return { ok: false, reason: "missing MAC: the event was not written by Countersign (inserted with database credentials only?)" };
    const colon = stored.lastIndexOf(":");
    const kid = colon > 0 ? stored.slice(0, colon) : "";
    const mac = keys.get(kid);
    if (!mac) return { ok: false, reason: `MAC under an unknown key id "${kid}"` };
    const expected = mac(contentCanonical);
    const given = Buffer.from(stored.slice(colon + 1), "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: "bad MAC: the event's content does not match the MAC written with it (forged or altered row)" };
    }
    return { ok: true };
  };
}
