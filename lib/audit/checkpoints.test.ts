// Signed checkpoints: the JWS an outside verifier checks with the JWKS.
import { exportJWK, generateKeyPair, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import type { SigningKey } from "@/lib/evidence/keys";
import { CHECKPOINT_TYP, signCheckpoint, verifyCheckpoint } from "./checkpoints";

async function key(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { kty, crv, x, kid, alg: "EdDSA", use: "sig" } };
}

const head = { seq: 1234, hash: "c0ffee".padEnd(64, "0") };
const at = new Date("2026-11-30T12:00:00.000Z");

describe("checkpoint signatures", () => {
  it("sign {seq, hash, signed_at} as canonical JSON, EdDSA, with the kid and the checkpoint typ", async () => {
    const k = await key("k1");
    const c = await signCheckpoint(k, head, at);
    expect(c).toMatchObject({ seq: 1234, hash: head.hash, signedAt: at, kid: "k1" });
    expect(decodeProtectedHeader(c.jws)).toEqual({ alg: "EdDSA", kid: "k1", typ: CHECKPOINT_TYP });
    const payload = Buffer.from(c.jws.split(".")[1]!, "base64url").toString("utf8");
    expect(payload).toBe(`{"hash":"${head.hash}","seq":1234,"signed_at":"2026-11-30T12:00:00.000Z"}`);
    expect(await verifyCheckpoint(c.jws, { keys: [k.publicJwk] })).toEqual({ ok: true, kid: "k1", claims: { seq: 1234, hash: head.hash, signed_at: at.toISOString() } });
  });

  it("still verify after a rotation, with the retired key in the JWKS", async () => {
    const old = await key("old");
    const c = await signCheckpoint(old, head, at);
    const current = await key("new");
    expect(await verifyCheckpoint(c.jws, { keys: [current.publicJwk, old.publicJwk] })).toMatchObject({ ok: true, kid: "old" });
  });

  it("fail with another key, an altered payload, or another kind of JWS", async () => {
    const k = await key("k1");
    const c = await signCheckpoint(k, head, at);
    const stranger = await key("k1");
    expect(await verifyCheckpoint(c.jws, { keys: [stranger.publicJwk] })).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
    const [h, , s] = c.jws.split(".");
    const forged = Buffer.from(JSON.stringify({ hash: head.hash, seq: 1235, signed_at: at.toISOString() })).toString("base64url");
    expect(await verifyCheckpoint(`${h}.${forged}.${s}`, { keys: [k.publicJwk] })).toMatchObject({ ok: false });
    const { CompactSign } = await import("jose");
    const grantLike = await new CompactSign(new TextEncoder().encode("{}")).setProtectedHeader({ alg: "EdDSA", kid: "k1", typ: "JWT" }).sign(k.privateKey);
    expect(await verifyCheckpoint(grantLike, { keys: [k.publicJwk] })).toMatchObject({ ok: false, reason: expect.stringMatching(/not a checkpoint/) });
  });
});
