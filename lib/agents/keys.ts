// Agent API keys: `cs_<prefix>_<secret>`. The prefix finds the row; only SHA-256(secret) is
// stored, and comparison is constant-time. Keys are shown once, at creation or rotation.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const KEY_RE = /^cs_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export type IssuedKey = { key: string; prefix: string; secretHash: string };

export function issueAgentKey(): IssuedKey {
  const prefix = randomBytes(9).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0").slice(0, 12);
  const secret = randomBytes(32).toString("base64url");
  return { key: `cs_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseAgentKey(key: string): { prefix: string; secret: string } | null {
  const m = KEY_RE.exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
