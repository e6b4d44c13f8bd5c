// An agent token verifies against the active signing key only: retired keys stay published (old
// grants and proofs must verify), but whoever holds a retired — perhaps leaked — private key must
// not mint agent tokens with it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetEnvCache } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { keyRing, resetKeyRingForTests } from "@/lib/evidence/keys";
import { AGENT_TOKEN_AUDIENCE, AGENT_TOKEN_ISSUER, AGENT_TOKEN_TYP, issueAgentToken, verifyAgentToken } from "./workload-identity";

const saved = { ...process.env };
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-agent-token-"));
  for (const k of Object.keys(process.env)) if (k.startsWith("COUNTERSIGN_") || k === "DATABASE_URL") delete process.env[k];
  process.env.COUNTERSIGN_KEYS_DIR = dir;
});
afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
  resetKeyRingForTests();
  fs.rmSync(dir, { recursive: true, force: true });
});

const identity = { kind: "oidc" as const, issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/app", claims: { repository: "acme/app" } };

async function mint(privateKey: CryptoKey, kid: string, agentId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ wid: identity })
    .setProtectedHeader({ alg: "EdDSA", typ: AGENT_TOKEN_TYP, kid })
    .setIssuer(AGENT_TOKEN_ISSUER)
    .setAudience(AGENT_TOKEN_AUDIENCE)
    .setSubject(agentId)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe("agent tokens and the key ring", () => {
  it("refuses a token signed with a retired key that the JWKS still publishes; accepts the active key's", async () => {
    const active = await generateKeyPair("EdDSA", { extractable: true });
    const retired = await generateKeyPair("EdDSA", { extractable: true });
    const retiredKid = "retired-2025";
    process.env.COUNTERSIGN_SIGNING_KEY = await exportPKCS8(active.privateKey);
    process.env.COUNTERSIGN_AUDIT_MAC_KEY = Buffer.alloc(32, 1).toString("base64");
    process.env.COUNTERSIGN_VERIFY_KEYS = JSON.stringify({ keys: [{ ...(await exportJWK(retired.publicKey)), kid: retiredKid, alg: "EdDSA", use: "sig" }] });
    resetEnvCache();
    resetKeyRingForTests();
    const ring = await keyRing();
    expect(ring.jwks.keys.map((k) => k.kid)).toContain(retiredKid); // still published, for old proofs

    const agentId = randomUUID();
    const forged = await mint(retired.privateKey, retiredKid, agentId);
    const refusal = await verifyAgentToken(forged).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(CountersignError);
    expect((refusal as CountersignError).toJSON().error.issues?.[0]?.path).toBe("signature");

    const issued = await issueAgentToken(agentId, identity, new Date(Date.now() + 600_000));
    expect((await verifyAgentToken(issued.token)).agentId).toBe(agentId);
  });
});
