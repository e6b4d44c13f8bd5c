// Signed chain checkpoints (issue 11, SPEC §7): the sealer signs the chain head at least every 10 s
// while events arrive, stores the checkpoint in audit_checkpoints and appends it to a sink the
// database cannot reach — one JSON line per checkpoint in $COUNTERSIGN_CHECKPOINT_DIR/checkpoints.jsonl,
// and optionally a POST to COUNTERSIGN_CHECKPOINT_URL. A superuser who rewrites and re-hashes the
// chain (and the checkpoints table) cannot re-sign: the file still names the old heads.
//
// A checkpoint is a compact JWS (RFC 7515), EdDSA under the keyRing's signing key:
//   protected header {"alg":"EdDSA","kid":<kid>,"typ":"countersign-checkpoint+jwt"}
//   payload          canonical_json({"hash":<64 hex>,"seq":<integer>,"signed_at":<ISO-8601 UTC, ms>})
// meaning "the event at position seq has chain hash `hash`" (and so, through the chain, every event
// before it). Sink line: {"seq":…,"hash":…,"signed_at":…,"kid":…,"jws":…}.
import fs from "node:fs";
import path from "node:path";
import { CompactSign, compactVerify, createLocalJWKSet, type JWK } from "jose";
import type { Database } from "@/db/client";
import { insertCheckpoint, selectChainHead, selectLatestCheckpoint } from "@/db/queries/audit";
import type { AuditCheckpointRow } from "@/db/schema";
import { env } from "@/lib/config/env";
import { keyRing, SIGNING_ALG, type SigningKey } from "@/lib/evidence/keys";
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";
import { canonicalJson } from "./canonical";

export const CHECKPOINT_TYP = "countersign-checkpoint+jwt";
/** The head is signed at least this often while events arrive. */
export const CHECKPOINT_INTERVAL_MS = 10_000;
/** Sign once the last checkpoint is this old, so that with the sealer's 500 ms pass the gap stays ≤ 10 s. */
const CHECKPOINT_DUE_MS = CHECKPOINT_INTERVAL_MS - 1_000;
export const SINK_FILE = "checkpoints.jsonl";

export type CheckpointClaims = { seq: number; hash: string; signed_at: string };

export async function signCheckpoint(key: SigningKey, head: { seq: number; hash: string }, at: Date): Promise<AuditCheckpointRow> {
  const claims: CheckpointClaims = { seq: head.seq, hash: head.hash, signed_at: at.toISOString() };
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(claims)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(key.privateKey);
  return { seq: head.seq, hash: head.hash, signedAt: at, kid: key.kid, jws };
}

export type CheckedCheckpoint = { ok: true; claims: CheckpointClaims; kid: string } | { ok: false; reason: string };

/** Verifies a checkpoint JWS against the JWKS: signature, typ, and the claims' shape. */
export async function verifyCheckpoint(jws: string, jwks: { keys: JWK[] }): Promise<CheckedCheckpoint> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: [SIGNING_ALG] });
    if (protectedHeader.typ !== CHECKPOINT_TYP) return { ok: false, reason: `not a checkpoint (typ ${String(protectedHeader.typ)})` };
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Partial<CheckpointClaims>;
    if (!Number.isSafeInteger(claims.seq) || (claims.seq as number) < 1 || typeof claims.hash !== "string" || !/^[0-9a-f]{64}$/.test(claims.hash) || typeof claims.signed_at !== "string") {
      return { ok: false, reason: "malformed checkpoint claims" };
    }
    return { ok: true, claims: claims as CheckpointClaims, kid: protectedHeader.kid ?? "" };
  } catch (err) {
    return { ok: false, reason: `signature does not verify with the JWKS (${err instanceof Error ? err.message : String(err)})` };
  }
}

/**
 * The sink directory: COUNTERSIGN_CHECKPOINT_DIR, else (embedded database on disk) `checkpoints`
 * beside the data directory; none on PostgreSQL without the variable.
 */
export function checkpointSinkDir(): string | null {
  const e = env();
  if (e.COUNTERSIGN_CHECKPOINT_DIR) return path.resolve(e.COUNTERSIGN_CHECKPOINT_DIR);
  if (e.DATABASE_URL || e.COUNTERSIGN_DATA_DIR.startsWith("memory://")) return null;
  return path.join(path.dirname(path.resolve(e.COUNTERSIGN_DATA_DIR)), "checkpoints");
}

export function checkpointSinkFile(): string | null {
  const dir = checkpointSinkDir();
  return dir ? path.join(dir, SINK_FILE) : null;
}

const sinkLine = (c: AuditCheckpointRow) =>
  `${JSON.stringify({ seq: c.seq, hash: c.hash, signed_at: c.signedAt.toISOString(), kid: c.kid, jws: c.jws })}\n`;

type SinkState = { last: WeakMap<object, { seq: number; at: number }> };
const sinkState = processWide<SinkState>("checkpoint-sink", () => ({ last: new WeakMap() }));

/** Said once at server start-up (the CLI's report says it too): without a sink, checkpoints live in the database only. */
export function warnIfNoCheckpointSink(): void {
  if (!checkpointSinkDir()) {
    log.warn("no external checkpoint sink configured (COUNTERSIGN_CHECKPOINT_DIR): signed checkpoints are kept in the database only");
  }
}

async function postCheckpoint(url: string, c: AuditCheckpointRow): Promise<void> {
  const target = new URL(url);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(target.hostname);
  if (target.protocol !== "https:" && !(target.protocol === "http:" && loopback)) {
    throw new Error("COUNTERSIGN_CHECKPOINT_URL must be https (http only to a loopback address)");
  }
  const res = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: sinkLine(c), signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`checkpoint receiver answered ${res.status}`);
}

/** Appends to the sink file (O_APPEND: whole lines, even from several processes) and posts it. */
export async function publishCheckpoint(c: AuditCheckpointRow): Promise<void> {
  const file = checkpointSinkFile();
  if (file) {
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.promises.appendFile(file, sinkLine(c), { flag: "a", mode: 0o600 });
  }
  const url = env().COUNTERSIGN_CHECKPOINT_URL;
  if (url) {
    await postCheckpoint(url, c).catch((err: unknown) => log.error({ err, seq: c.seq }, "posting the checkpoint to COUNTERSIGN_CHECKPOINT_URL failed"));
  }
}

/**
 * After a seal pass: signs, stores and publishes the chain head when it moved and the last
 * checkpoint is due (cheap when not: the last one is remembered per database).
 */
export async function checkpointIfDue(db: Database, now = new Date()): Promise<AuditCheckpointRow | null> {
  let last = sinkState.last.get(db);
  if (last && now.getTime() - last.at < CHECKPOINT_DUE_MS) return null;
  if (!last) {
    const stored = await selectLatestCheckpoint(db);
    last = stored ? { seq: stored.seq, at: stored.signedAt.getTime() } : { seq: 0, at: 0 };
    sinkState.last.set(db, last);
    if (now.getTime() - last.at < CHECKPOINT_DUE_MS) return null;
  }
  const head = await selectChainHead(db);
  if (!head || head.seq <= last.seq) return null;
  const { signing } = await keyRing();
  const checkpoint = await signCheckpoint(signing, head, now);
  const stored = await insertCheckpoint(db, checkpoint);
  sinkState.last.set(db, { seq: head.seq, at: now.getTime() });
  if (!stored) return null;
  await publishCheckpoint(checkpoint).catch((err: unknown) => log.error({ err, seq: checkpoint.seq }, "writing the checkpoint to the external sink failed"));
  return checkpoint;
}

export type SinkLine = { line: number; seq: number; hash: string; jws: string };

/** The sink file's lines (a missing file is none); a line that does not parse is reported as such. */
export function readSinkFile(file: string): { lines: SinkLine[]; bad: { line: number; reason: string } | null } {
  if (!fs.existsSync(file)) return { lines: [], bad: null };
  const lines: SinkLine[] = [];
  const text = fs.readFileSync(file, "utf8");
  let n = 0;
  for (const raw of text.split("\n")) {
    n += 1;
    if (raw.trim() === "") continue;
    try {
      const v = JSON.parse(raw) as Partial<SinkLine>;
      if (typeof v.jws !== "string" || typeof v.seq !== "number" || typeof v.hash !== "string") throw new Error("missing seq, hash or jws");
      lines.push({ line: n, seq: v.seq, hash: v.hash, jws: v.jws });
    } catch (err) {
      return { lines, bad: { line: n, reason: `line ${n} is not a checkpoint (${err instanceof Error ? err.message : String(err)})` } };
    }
  }
  return { lines, bad: null };
}

/** Tests reset what a process remembers about the last checkpoint. */
export function forgetCheckpointsForTests(): void {
  sinkState.last = new WeakMap();
}
