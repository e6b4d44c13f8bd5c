// The keys behind Countersign's evidence, none of them ever in the database:
//   - the Ed25519 signing key (grants, chain checkpoints, export trailers), from
//     COUNTERSIGN_SIGNING_KEY (a PKCS#8 PEM or a private JWK) — or, for the embedded quick start and
//     development, generated once into COUNTERSIGN_KEYS_DIR; its public half, with any retired keys
//     from COUNTERSIGN_VERIFY_KEYS, is published at /.well-known/jwks.json so old proofs still verify
//     after a rotation;
//   - the audit MAC key (an HMAC-SHA256 secret with an id), from COUNTERSIGN_AUDIT_MAC_KEY — or
//     generated beside the signing key — so that rows written by anyone holding only the database's
//     credentials carry no valid MAC.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type JWK } from "jose";
import { env, EnvError } from "@/lib/config/env";
import { processWide } from "@/lib/runtime/process-wide";

export const SIGNING_ALG = "EdDSA";

export type SigningKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };
export type MacKey = { kid: string; secret: Buffer };
export type KeyRing = {
  signing: SigningKey;
  /** Every public key that verifies our signatures: the active one first, then retired ones. */
  jwks: { keys: JWK[] };
  mac: MacKey;
  /** Retired MAC keys by id (for events written before a rotation). */
  previousMacs: Map<string, Buffer>;
  /** Where the key came from, for start-up logs (never the key itself). */
  source: "environment" | "generated" | "keys directory";
};

const configError = (line: string) => new EnvError(`Invalid Countersign configuration:\n  ${line}`);

function keysDir(): string {
  const e = env();
  return path.resolve(e.COUNTERSIGN_KEYS_DIR ?? path.join(path.dirname(path.resolve(e.COUNTERSIGN_DATA_DIR)), "keys"));
}

async function publicJwkOf(privateKey: CryptoKey | JWK, kid?: string): Promise<{ publicJwk: JWK; kid: string }> {
  const jwk: JWK = privateKey instanceof CryptoKey ? await exportJWK(privateKey) : { ...privateKey };
  const { kty, crv, x } = jwk;
  if (kty !== "OKP" || crv !== "Ed25519" || !x) throw configError("COUNTERSIGN_SIGNING_KEY: must be an Ed25519 key");
  const id = kid ?? (await calculateJwkThumbprint({ kty, crv, x }));
  return { kid: id, publicJwk: { kty, crv, x, kid: id, alg: SIGNING_ALG, use: "sig" } };
}

async function signingKeyFrom(text: string, kidHint?: string): Promise<SigningKey> {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith("-----BEGIN")) {
      const privateKey = await importPKCS8(trimmed, SIGNING_ALG, { extractable: true });
      const { kid, publicJwk } = await publicJwkOf(privateKey as CryptoKey, kidHint);
      return { kid, privateKey: privateKey as CryptoKey, publicJwk };
    }
    const jwk = JSON.parse(trimmed) as JWK;
    if (!jwk.d) throw configError("COUNTERSIGN_SIGNING_KEY: a JWK must hold the private part (d)");
    const privateKey = (await importJWK({ ...jwk, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
    const { kid, publicJwk } = await publicJwkOf(jwk, jwk.kid ?? kidHint);
    return { kid, privateKey, publicJwk };
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw configError(`COUNTERSIGN_SIGNING_KEY: not a PKCS#8 PEM or a JWK of an Ed25519 private key (${err instanceof Error ? err.message : String(err)})`);
  }
}

function macKeyFrom(text: string): MacKey {
  // `kid:secret` (secret in base64 or hex), or a bare secret whose id is derived from it.
  const [maybeKid, maybeSecret] = text.includes(":") ? text.split(":", 2) : [undefined, text];
  const raw = (maybeSecret ?? "").trim();
  const secret = /^[0-9a-f]+$/i.test(raw) && raw.length % 2 === 0 ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (secret.length < 32) throw configError("COUNTERSIGN_AUDIT_MAC_KEY: must hold at least 32 bytes (openssl rand -base64 32)");
  const kid = maybeKid?.trim() || `mac-${createHash("sha256").update(secret).digest("hex").slice(0, 16)}`;
  return { kid, secret };
}

function writeSecretFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // wx: never overwrite a key another process wrote first.
  try {
    fs.writeFileSync(file, content, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/** Keys generated for this installation (embedded database, development): created once, then reused. */
async function generatedKeys(): Promise<{ signing: SigningKey; mac: MacKey; created: boolean }> {
  const dir = keysDir();
  const signingFile = path.join(dir, "signing-key.jwk");
  const macFile = path.join(dir, "audit-mac.key");
  let created = false;
  if (!fs.existsSync(signingFile)) {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: "Ed25519", extractable: true });
    const jwk = await exportJWK(privateKey);
    const { kid } = await publicJwkOf(jwk);
    writeSecretFile(signingFile, JSON.stringify({ ...jwk, kid, alg: SIGNING_ALG }));
    created = true;
  }
  if (!fs.existsSync(macFile)) {
    writeSecretFile(macFile, randomBytes(32).toString("base64"));
    created = true;
  }
  return {
    signing: await signingKeyFrom(fs.readFileSync(signingFile, "utf8")),
    mac: macKeyFrom(fs.readFileSync(macFile, "utf8")),
    created,
  };
}

function retiredPublicKeys(text: string | undefined): JWK[] {
  if (!text) return [];
  const json = text.trim().startsWith("{") ? text : fs.readFileSync(path.resolve(text), "utf8");
  try {
    const parsed = JSON.parse(json) as { keys?: JWK[] } | JWK;
    const keys = "keys" in parsed && Array.isArray(parsed.keys) ? parsed.keys : [parsed as JWK];
    return keys.map((k) => {
      if (k.kty !== "OKP" || k.crv !== "Ed25519" || !k.x || !k.kid) throw new Error("each key must be an Ed25519 public JWK with a kid");
      return { kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: SIGNING_ALG, use: "sig" };
    });
  } catch (err) {
    throw configError(`COUNTERSIGN_VERIFY_KEYS: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function loadKeyRing(): Promise<KeyRing> {
  const e = env();
  let signing: SigningKey;
  let mac: MacKey;
  let source: KeyRing["source"];
  if (e.COUNTERSIGN_SIGNING_KEY || e.COUNTERSIGN_AUDIT_MAC_KEY) {
    if (!e.COUNTERSIGN_SIGNING_KEY || !e.COUNTERSIGN_AUDIT_MAC_KEY) {
      throw configError("COUNTERSIGN_SIGNING_KEY and COUNTERSIGN_AUDIT_MAC_KEY go together: set both (or neither, to generate them on the embedded database)");
    }
    signing = await signingKeyFrom(e.COUNTERSIGN_SIGNING_KEY, e.COUNTERSIGN_SIGNING_KEY_ID);
    mac = macKeyFrom(e.COUNTERSIGN_AUDIT_MAC_KEY);
    source = "environment";
  } else {
    if (e.NODE_ENV === "production" && e.DATABASE_URL) {
      throw configError(
        "COUNTERSIGN_SIGNING_KEY: required in production with PostgreSQL (an Ed25519 private key, PKCS#8 PEM or JWK: `openssl genpkey -algorithm ed25519`), with COUNTERSIGN_AUDIT_MAC_KEY (openssl rand -base64 32)",
      );
    }
    const generated = await generatedKeys();
    ({ signing, mac } = generated);
    source = generated.created ? "generated" : "keys directory";
  }
  const retired = retiredPublicKeys(e.COUNTERSIGN_VERIFY_KEYS).filter((k) => k.kid !== signing.kid);
  const previousMacs = new Map<string, Buffer>(
    (e.COUNTERSIGN_AUDIT_MAC_KEYS_PREVIOUS ?? "")
      .split(",")
      .filter(Boolean)
      .map((t: string) => {
        const k = macKeyFrom(t);
        return [k.kid, k.secret] as const;
      }),
  );
  return { signing, jwks: { keys: [signing.publicJwk, ...retired] }, mac, previousMacs, source };
}

const holder = processWide<{ ring?: Promise<KeyRing> }>("evidence-keys", () => ({}));

/** This process's keys (loaded once; a configuration error is thrown to every caller and forgotten). */
export function keyRing(): Promise<KeyRing> {
  if (!holder.ring) {
    const loading = loadKeyRing();
    holder.ring = loading;
    loading.catch(() => {
      if (holder.ring === loading) holder.ring = undefined;
    });
  }
  return holder.ring;
}

/** Tests switch keys between cases (a rotation, say). */
export function resetKeyRingForTests(): void {
  holder.ring = undefined;
}
