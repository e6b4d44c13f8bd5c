// Secrets Countersign must keep to act for a person later (an Okta refresh token, a GitHub access
// token) are stored sealed: a compact JWE (dir, A256GCM) under a key derived from AUTH_SECRET, which
// the database never holds. A stolen database row is useless without the server's secret.
import { hkdfSync } from "node:crypto";
import { compactDecrypt, CompactEncrypt } from "jose";
import { readAuthSettings } from "./config";

const encoder = new TextEncoder();

function key(purpose: string): Uint8Array {
  const secret = readAuthSettings().secret;
  if (!secret) throw new Error("AUTH_SECRET is required to seal credentials");
  return new Uint8Array(hkdfSync("sha256", secret, "countersign", `countersign sealed ${purpose}`, 32));
}

export async function seal(purpose: string, plaintext: string): Promise<string> {
  return new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: "dir", enc: "A256GCM", cty: purpose }).encrypt(key(purpose));
}

/** The plaintext, or null when the value was not sealed by this server for this purpose. */
export async function unseal(purpose: string, sealed: string): Promise<string | null> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, key(purpose));
    return protectedHeader.cty === purpose ? new TextDecoder().decode(plaintext) : null;
  } catch {
    return null;
  }
}
