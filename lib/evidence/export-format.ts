// The audit export's file format — the contract between the exporter and any verifier (see
// "Audit exports" in the README): the CSV columns and how each cell is written from an event's
// hashed content, the spreadsheet-formula rule, the row digest and the signed trailer's claims.
// Pure: no database, no keys of its own; the exporter (lib/audit/timeline.ts) and the offline
// verifier (./export-verify.ts) both write and read through it.
import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { canonicalJson } from "@/lib/audit/canonical";
import type { SigningKey } from "./keys";

/** The JWS header `typ` of an export trailer (grants and checkpoints have their own). */
export const EXPORT_TYP = "countersign-export+jwt";

export type ExportFormat = "csv" | "ndjson";

/** What an event's hash covers (lib/audit/chain.ts): hash = SHA-256(prev_hash hex || canonical JSON of this). */
export type ChainContent = {
  seq: number;
  event_id: string;
  occurred_at: string;
  type: string;
  actor: { kind: string; id: string; display: string; idp?: string; groups?: string[]; [k: string]: unknown };
  channel: string;
  request_id: string | null;
  agent_id: string | null;
  action: string | null;
  environment: string | null;
  risk_level: string | null;
  outcome: string | null;
  payload: Record<string, unknown>;
};

/** The members of the hashed content, in the order the NDJSON row and the README list them. */
export const CONTENT_FIELDS = [
  "seq",
  "event_id",
  "occurred_at",
  "type",
  "actor",
  "channel",
  "request_id",
  "agent_id",
  "action",
  "environment",
  "risk_level",
  "outcome",
  "payload",
] as const satisfies readonly (keyof ChainContent)[];

/** The content of an event given as an object with (at least) the content's members: exactly those members. */
export function contentOf(event: Record<string, unknown>): ChainContent {
  const out: Record<string, unknown> = {};
  for (const k of CONTENT_FIELDS) out[k] = event[k];
  return out as ChainContent;
}

// ── CSV ───────────────────────────────────────────────────────────────────────────────────────

type Cell = string | null;

/** The human-readable columns, each derived from the content alone, then prev_hash, hash, content, inclusion_proof. */
const HUMAN_COLUMNS: readonly (readonly [name: string, cell: (c: ChainContent) => Cell])[] = [
  ["seq", (c) => String(c.seq)],
  ["event_id", (c) => c.event_id],
  ["occurred_at", (c) => c.occurred_at],
  ["type", (c) => c.type],
  ["actor_kind", (c) => c.actor.kind],
  ["actor_id", (c) => c.actor.id],
  ["actor_display", (c) => c.actor.display],
  ["actor_idp", (c) => c.actor.idp ?? null],
  ["actor_groups", (c) => (c.actor.groups === undefined ? null : canonicalJson(c.actor.groups))],
  ["channel", (c) => c.channel],
  ["request_id", (c) => c.request_id],
  ["agent_id", (c) => c.agent_id],
  ["action", (c) => c.action],
  ["environment", (c) => c.environment],
  ["risk_level", (c) => c.risk_level],
  ["outcome", (c) => c.outcome],
  ["payload", (c) => canonicalJson(c.payload)],
];

export const CSV_COLUMNS: readonly string[] = [...HUMAN_COLUMNS.map(([name]) => name), "prev_hash", "hash", "content", "inclusion_proof"];
export const CSV_HEADER = CSV_COLUMNS.join(",") + "\n";
export const CSV_TRAILER_MARK = "#export";

/** OWASP CSV injection: a cell a spreadsheet would read as a formula gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;
export function neutralised(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * A CSV cell: NULL is an empty field, an empty string `""` (so the two stay apart), a formula-like
 * text neutralised, a field holding a comma, quote, CR or LF quoted with its quotes doubled.
 */
export function csvCell(value: Cell): string {
  if (value === null) return "";
  const text = neutralised(value);
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The cells of one CSV record, as text before quoting (null = empty field): what the exporter
 * writes and what a verifier expects, given the canonical content text it hashes.
 */
export function csvCells(content: ChainContent, contentText: string, prevHash: string, hash: string, proof: readonly string[] | null): Cell[] {
  const cells: Cell[] = HUMAN_COLUMNS.map(([, cell]) => cell(content));
  cells.push(prevHash, hash, contentText, proof === null ? null : proof.join(" "));
  return cells.map((c) => (c === null ? null : neutralised(c)));
}

export function csvRecord(cells: readonly Cell[]): string {
  // Cells come neutralised from csvCells; csvCell leaves them so (an apostrophe starts none of the rule's characters).
  return cells.map(csvCell).join(",") + "\n";
}

// ── rows digest ───────────────────────────────────────────────────────────────────────────────

/** rows_sha256: SHA-256 over each row's hash (64 lower-case hex characters) followed by "\n", in file order. */
export function rowsDigest() {
  const h = createHash("sha256");
  return {
    add(hashHex: string) {
      h.update(hashHex + "\n", "latin1");
    },
    hex: () => h.digest("hex"),
  };
}

// ── trailer ───────────────────────────────────────────────────────────────────────────────────

/** The trailer's claims: signed as a JWS (EdDSA, typ countersign-export+jwt) and repeated in clear beside it. */
export type ExportClaims = {
  iss: string;
  /** The export's own audit event (audit.exported). */
  jti: string;
  iat: number;
  exported_at: string;
  exported_by: { person: string; name: string | null; email: string | null };
  format: ExportFormat;
  /** The timeline filter as given (URL names); {} is the whole log. */
  filter: Record<string, string>;
  sort: string;
  /** The rows are every sealed event with from_seq ≤ seq ≤ to_seq that matches the filter — no more, no fewer. */
  range: { from_seq: number; to_seq: number };
  rows: number;
  /** The smallest and largest seq among the rows (null when there are none). */
  first_seq: number | null;
  last_seq: number | null;
  rows_sha256: string;
  /** RFC 9162 tree head over the events 1..tree_size (leaf i = SHA-256(0x00 || hash of event i+1)). */
  tree_head: { tree_size: number; root_hash: string };
  /** The event at seq = tree_size (null for an empty log). */
  chain_head: { seq: number; hash: string } | null;
  /** "inclusion": each row carries its audit path; "none": the rows are the whole tree (no filter) and rebuild its root. */
  proofs: "inclusion" | "none";
  /** CSV only: the header's columns. */
  columns?: string[];
};

export async function signExportClaims(claims: ExportClaims, key: SigningKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: EXPORT_TYP }).sign(key.privateKey);
}

/** The trailer as the file's last line: the claims in clear (for people) and the JWS (what a verifier trusts). */
export function trailerLine(format: ExportFormat, claims: ExportClaims, jws: string): string {
  return format === "csv"
    ? `${CSV_TRAILER_MARK},${csvCell(JSON.stringify(claims))},${jws}\n`
    : JSON.stringify({ _export: claims, jws }) + "\n";
}
