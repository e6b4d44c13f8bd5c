// Bearer secrets: `<tag>_<prefix>_<secret>` — agent keys (`cs_`) and reviewers' personal tokens
// (`csr_`). The prefix finds the row; only SHA-256(secret) is stored, and comparison is
// constant-time. Keys are shown once, at creation or rotation.
import { createHash, hash, randomBytes, timingSafeEqual } from "node:crypto";

/** What a key's first part says it is for: an agent key never passes as a reviewer token. */
export type KeyTag = "cs" | "csr";

export type IssuedKey = { key: string; prefix: string; secretHash: string };

const PATTERNS: Record<KeyTag, RegExp> = { cs: /^cs_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/, csr: /^csr_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/ };

export function issueKey(tag: KeyTag): IssuedKey {
  const prefix = randomBytes(9).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0").slice(0, 12);
  const secret = randomBytes(32).toString("base64url");
  return { key: `${tag}_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseKey(tag: KeyTag, key: string): { prefix: string; secret: string } | null {
  const m = PATTERNS[tag].exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

export const issueAgentKey = (): IssuedKey => issueKey("cs");
export const parseAgentKey = (key: string) => parseKey("cs", key);

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Checked on every agent call: the digest as bytes in one step (no hex round trip). */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = hash("sha256", secret, "buffer");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
