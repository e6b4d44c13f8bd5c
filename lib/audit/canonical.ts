// Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256, the two primitives that
// make params_hash and the audit chain reproducible by any third party.
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError("value cannot be canonicalized");
  return out;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
