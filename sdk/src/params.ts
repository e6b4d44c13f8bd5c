// params_hash: SHA-256 (hex) of the RFC 8785 canonical JSON of {action, resource, environment,
// context}. The same bytes the server hashes at filing and signs into the grant, so a target
// system or the SDK can recompute it from what it is about to run. WebCrypto: Node, browsers, edge.
import canonicalize from "canonicalize";
import type { ApprovedParameters } from "./types.js";

/** The canonical JSON params_hash covers (RFC 8785). Throws on values JSON cannot carry (NaN, bigint…). */
export function canonicalParameters(p: ApprovedParameters): string {
  const text = canonicalize({ action: p.action, resource: p.resource, environment: p.environment, context: p.context ?? {} });
  if (text === undefined) throw new TypeError("The parameters are not JSON.");
  return text;
}

/** SHA-256 (lower-case hex) of `text` as UTF-8. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** params_hash of the parameters: compare it with a grant's `params_hash` claim before acting. */
export async function paramsHash(p: ApprovedParameters): Promise<string> {
  return sha256Hex(canonicalParameters(p));
}
