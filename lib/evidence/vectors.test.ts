// The evidence test vectors (tests/fixtures/evidence-vectors.json), published in the README's
// "Verifying Countersign evidence": each is recomputed twice — the way an outside verifier would,
// from node:crypto, RFC 8785 (canonicalize) and jose alone, and through Countersign's own code — and
// the README must show the same values, so the documentation cannot drift from the implementation.
import { createHash, createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import canonicalize from "canonicalize";
import { compactVerify, createLocalJWKSet, importJWK, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { chainCanonical } from "@/lib/audit/chain";
import { signCheckpoint, verifyCheckpoint } from "@/lib/audit/checkpoints";
import { macOf } from "@/lib/audit/mac";
import { rowsDigest } from "./export-format";
import { verifyGrant } from "./grants";
import { leafHash, MerkleTree, rootFromInclusionProof } from "./merkle";

type Vectors = {
  test_key: { kid: string; private_jwk: JWK; jwks: { keys: JWK[] } };
  event: { canonical_content_without_seq: string; seq: number; prev_hash: string; hash: string; mac_key: { kid: string; secret_hex: string }; mac: string };
  checkpoint: { jws: string; claims: { hash: string; seq: number; signed_at: string } };
  merkle: { content_1: string; hashes: string[]; leaves: string[]; root: string; inclusion_proof_2: string[]; inclusion_proof_3: string[]; rows_sha256_of_rows_3_1: string };
  grant: { params: Record<string, unknown>; params_hash: string; jws: string };
};

const root = process.cwd();
const v = JSON.parse(fs.readFileSync(path.join(root, "tests", "fixtures", "evidence-vectors.json"), "utf8")) as Vectors;
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const privateKey = async () => (await importJWK({ ...v.test_key.private_jwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey;

describe("evidence test vectors", () => {
  it("an event: canonical bytes, MAC and chain hash, as an outsider computes them and as Countersign does", () => {
    const e = v.event;
    const content = JSON.parse(e.canonical_content_without_seq) as Record<string, unknown>;
    expect(canonicalize(content)).toBe(e.canonical_content_without_seq);
    const hmac = createHmac("sha256", Buffer.from(e.mac_key.secret_hex, "hex")).update(e.canonical_content_without_seq, "utf8").digest("hex");
    expect(`${e.mac_key.kid}:${hmac}`).toBe(e.mac);
    expect(macOf({ kid: e.mac_key.kid, secret: Buffer.from(e.mac_key.secret_hex, "hex") }, e.canonical_content_without_seq)).toBe(e.mac);
    const hashed = canonicalize({ ...content, seq: e.seq })!;
    expect(sha256(e.prev_hash + hashed)).toBe(e.hash);
    expect(chainCanonical(e.canonical_content_without_seq, content.type as string, e.seq)).toBe(hashed);
  });

  it("a checkpoint: verifies with the test JWKS, and Countersign signs exactly these bytes (Ed25519 is deterministic)", async () => {
    const { payload, protectedHeader } = await compactVerify(v.checkpoint.jws, createLocalJWKSet(v.test_key.jwks));
    expect(protectedHeader).toEqual({ alg: "EdDSA", kid: v.test_key.kid, typ: "countersign-checkpoint+jwt" });
    expect(new TextDecoder().decode(payload)).toBe(canonicalize(v.checkpoint.claims));
    expect(await verifyCheckpoint(v.checkpoint.jws, v.test_key.jwks)).toMatchObject({ ok: true, claims: v.checkpoint.claims });
    const key = { kid: v.test_key.kid, privateKey: await privateKey(), publicJwk: v.test_key.jwks.keys[0]! };
    const signed = await signCheckpoint(key, { seq: v.checkpoint.claims.seq, hash: v.checkpoint.claims.hash }, new Date(v.checkpoint.claims.signed_at));
    expect(signed.jws).toBe(v.checkpoint.jws);
  });

  it("a three-event log: hashes, RFC 9162 leaves, root, audit paths and a rows digest", () => {
    const m = v.merkle;
    const first = JSON.parse(m.content_1) as Record<string, unknown>;
    const contents = [1, 2, 3].map((n) => ({ ...first, seq: n, event_id: `00000000-0000-4000-8000-00000000000${n}`, occurred_at: `2027-01-01T00:00:0${n}.000Z` }));
    expect(canonicalize(contents[0])).toBe(m.content_1);
    let prev = "0".repeat(64);
    const hashes = contents.map((c) => (prev = sha256(prev + canonicalize(c)!)));
    expect(hashes).toEqual(m.hashes);
    const leaves = hashes.map((h) => sha256(Buffer.concat([Buffer.from([0]), Buffer.from(h, "hex")])));
    expect(leaves).toEqual(m.leaves);
    expect(hashes.map((h) => leafHash(Buffer.from(h, "hex")).toString("hex"))).toEqual(m.leaves);
    const node = (l: string, r: string) => sha256(Buffer.concat([Buffer.from([1]), Buffer.from(l, "hex"), Buffer.from(r, "hex")]));
    expect(node(node(leaves[0]!, leaves[1]!), leaves[2]!)).toBe(m.root); // RFC 9162: split at 2
    const tree = MerkleTree.fromEventHashes(hashes);
    expect(tree.root().toString("hex")).toBe(m.root);
    expect(tree.auditPath(1).map((b) => b.toString("hex"))).toEqual(m.inclusion_proof_2);
    expect(tree.auditPath(2).map((b) => b.toString("hex"))).toEqual(m.inclusion_proof_3);
    expect(m.inclusion_proof_3).toEqual([node(leaves[0]!, leaves[1]!)]);
    const proof = (hexes: string[]) => hexes.map((h) => Buffer.from(h, "hex"));
    expect(rootFromInclusionProof(Buffer.from(m.leaves[1]!, "hex"), 1, 3, proof(m.inclusion_proof_2))?.toString("hex")).toBe(m.root);
    const digest = rowsDigest();
    digest.add(hashes[2]!);
    digest.add(hashes[0]!);
    expect(digest.hex()).toBe(m.rows_sha256_of_rows_3_1);
    expect(sha256(`${hashes[2]}\n${hashes[0]}\n`)).toBe(m.rows_sha256_of_rows_3_1);
  });

  it("a grant: params_hash, signature, and Countersign signs exactly these bytes", async () => {
    const g = v.grant;
    expect(sha256(canonicalize(g.params)!)).toBe(g.params_hash);
    const claims = JSON.parse(Buffer.from(g.jws.split(".")[1]!, "base64url").toString("utf8")) as { params_hash: string; iat: number };
    expect(claims.params_hash).toBe(g.params_hash);
    const checked = await verifyGrant(g.jws, { jwks: v.test_key.jwks, expect: { params_hash: g.params_hash }, now: new Date(claims.iat * 1000) });
    expect(checked).toMatchObject({ ok: true, kid: v.test_key.kid });
    const resigned = await new SignJWT(claims as never).setProtectedHeader({ alg: "EdDSA", kid: v.test_key.kid, typ: "countersign-grant+jwt" }).sign(await privateKey());
    expect(resigned).toBe(g.jws);
    // A parameter changed after approval no longer matches.
    const changed = sha256(canonicalize({ ...g.params, environment: "staging" })!);
    expect(await verifyGrant(g.jws, { jwks: v.test_key.jwks, expect: { params_hash: changed }, now: new Date(claims.iat * 1000) })).toMatchObject({ ok: false, failure: "mismatch" });
  });

  it("the README shows every vector as it is here", () => {
    const shown = [
      v.test_key.private_jwk.d!,
      v.test_key.private_jwk.x!,
      v.event.canonical_content_without_seq,
      v.event.hash,
      v.event.mac,
      v.checkpoint.jws,
      v.merkle.content_1,
      ...v.merkle.hashes,
      ...v.merkle.leaves,
      v.merkle.root,
      ...v.merkle.inclusion_proof_3,
      v.merkle.rows_sha256_of_rows_3_1,
      v.grant.params_hash,
      v.grant.jws,
    ];
    for (const value of shown) expect(readme, value.slice(0, 40)).toContain(value);
  });
});
