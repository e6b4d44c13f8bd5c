import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetEnvCache } from "@/lib/config/env";
import { keyRing, resetKeyRingForTests } from "./keys";

const saved = { ...process.env };
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-keys-"));
  for (const k of Object.keys(process.env)) if (k.startsWith("COUNTERSIGN_") || k === "DATABASE_URL") delete process.env[k];
  process.env.COUNTERSIGN_KEYS_DIR = dir;
  resetEnvCache();
  resetKeyRingForTests();
});
afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
  resetKeyRingForTests();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sign = async (ring: Awaited<ReturnType<typeof keyRing>>) =>
  new SignJWT({ hello: "world" }).setProtectedHeader({ alg: "EdDSA", kid: ring.signing.kid }).sign(ring.signing.privateKey);

describe("evidence keys", () => {
  it("generates a signing key and a MAC key once into the keys directory (0600), and reuses them", async () => {
    const first = await keyRing();
    expect(first.source).toBe("generated");
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(["audit-mac.key", "signing-key.jwk"]);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    resetKeyRingForTests();
    const second = await keyRing();
    expect(second.source).toBe("keys directory");
    expect(second.signing.kid).toBe(first.signing.kid);
    expect(second.mac.secret.equals(first.mac.secret)).toBe(true);
    // The JWKS holds the public half only.
    expect(second.jwks.keys).toEqual([{ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: first.signing.kid, alg: "EdDSA", use: "sig" }]);
    const { payload } = await jwtVerify(await sign(second), createLocalJWKSet(second.jwks));
    expect(payload.hello).toBe("world");
  });

  it("takes the signing key from COUNTERSIGN_SIGNING_KEY (PEM or JWK), and publishes retired keys too", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const old = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const oldJwk = { ...(await exportJWK(old.publicKey)), kid: "2025-key" };
    Object.assign(process.env, {
      COUNTERSIGN_SIGNING_KEY: await exportPKCS8(privateKey),
      COUNTERSIGN_SIGNING_KEY_ID: "2026-key",
      COUNTERSIGN_AUDIT_MAC_KEY: `mac-2026:${Buffer.alloc(32, 7).toString("base64")}`,
      COUNTERSIGN_VERIFY_KEYS: JSON.stringify({ keys: [oldJwk] }),
    });
    resetEnvCache();
    const ring = await keyRing();
    expect(ring.source).toBe("environment");
    expect(ring.signing.kid).toBe("2026-key");
    expect(ring.mac.kid).toBe("mac-2026");
    expect(ring.jwks.keys.map((k) => k.kid)).toEqual(["2026-key", "2025-key"]);
    expect(fs.readdirSync(dir)).toEqual([]); // nothing written when configured
    // A token signed by the retired key still verifies against the published set.
    const oldToken = await new SignJWT({}).setProtectedHeader({ alg: "EdDSA", kid: "2025-key" }).sign(old.privateKey);
    await expect(jwtVerify(oldToken, createLocalJWKSet(ring.jwks))).resolves.toBeTruthy();
  });

  it("refuses half a configuration, a non-Ed25519 key, a short MAC key, and production on PostgreSQL without keys", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ COUNTERSIGN_SIGNING_KEY: "not a key", COUNTERSIGN_AUDIT_MAC_KEY: Buffer.alloc(32).toString("base64") }, /not a PKCS#8 PEM or a JWK/],
      [{ COUNTERSIGN_AUDIT_MAC_KEY: Buffer.alloc(32).toString("base64") }, /go together/],
      [{ COUNTERSIGN_SIGNING_KEY: JSON.stringify({ kty: "EC", crv: "P-256", x: "a", y: "b", d: "c" }), COUNTERSIGN_AUDIT_MAC_KEY: Buffer.alloc(32).toString("base64") }, /Ed25519/],
      [{ NODE_ENV: "production", DATABASE_URL: "postgres://x@127.0.0.1/db" }, /COUNTERSIGN_SIGNING_KEY: required in production/],
    ];
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    cases.push([{ COUNTERSIGN_SIGNING_KEY: JSON.stringify(await exportJWK(privateKey)), COUNTERSIGN_AUDIT_MAC_KEY: "c2hvcnQ=" }, /at least 32 bytes/]);
    for (const [vars, message] of cases) {
      for (const k of ["COUNTERSIGN_SIGNING_KEY", "COUNTERSIGN_AUDIT_MAC_KEY", "NODE_ENV", "DATABASE_URL"]) delete process.env[k];
      Object.assign(process.env, vars);
      resetEnvCache();
      resetKeyRingForTests();
      await expect(keyRing()).rejects.toThrow(message);
    }
  });
});
