// The offline verifier of an audit export (`countersign audit verify --file … --jwks …`): checks a
// CSV or NDJSON file against a JWKS alone — no database, no network. The signed trailer (kid, typ,
// EdDSA; the clear claims equal to the signed ones), each row's hash recomputed from its content,
// the CSV's readable cells against that content, each inclusion proof against the signed tree head
// (or, for a whole-log export, the root rebuilt from the rows), chain links between consecutive
// rows, the filter, the sort, the row count and digest. It names the first row that fails.
import fs from "node:fs";
import { createHash } from "node:crypto";
import { parse as parseCsvSync } from "csv-parse/sync";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from "jose";
import { canonicalJson } from "@/lib/audit/canonical";
import {
  contentOf,
  CONTENT_FIELDS,
  CSV_COLUMNS,
  CSV_TRAILER_MARK,
  csvCells,
  EXPORT_TYP,
  rowsDigest,
  type ChainContent,
  type ExportClaims,
  type ExportFormat,
} from "./export-format";
import { HASH_BYTES, leafHash, MerkleTree, rootFromInclusionProof } from "./merkle";

const GENESIS_HASH = "0".repeat(64);
const HEX64 = /^[0-9a-f]{64}$/;

export type ExportFailure = {
  /** 1-based row number in the file (not counting a CSV header or the trailer); absent for file-wide failures. */
  row?: number;
  seq?: number;
  reason: string;
};

export type ExportVerification = {
  ok: boolean;
  format?: ExportFormat;
  kid?: string;
  claims?: ExportClaims;
  rows: number;
  /** What was checked, in words (and which filter members could not be checked offline). */
  checked: string[];
  failure?: ExportFailure;
};

class Refused extends Error {
  constructor(readonly failure: ExportFailure) {
    super(failure.reason);
  }
}
const refuse = (reason: string, at?: { row?: number; seq?: number }): never => {
  throw new Refused({ ...at, reason });
};

// ── the trailer ──────────────────────────────────────────────────────────────────────────────

/** The last line of the file holds the trailer: read from the end, so the rows can be checked as they stream by. */
function lastLine(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const want = Math.min(size, 1 << 20);
    const buf = Buffer.alloc(want);
    fs.readSync(fd, buf, 0, want, size - want);
    const text = buf.toString("utf8").replace(/\n+$/, "");
    return text.slice(text.lastIndexOf("\n") + 1);
  } finally {
    fs.closeSync(fd);
  }
}

type Trailer = { format: ExportFormat; clear: unknown; jws: string };

function parseTrailer(line: string): Trailer {
  if (line.startsWith(`${CSV_TRAILER_MARK},`)) {
    const [record] = parseCsvSync(line, { relax_column_count: true }) as string[][];
    if (!record || record.length !== 3) refuse("the CSV trailer record is not `#export,<claims>,<jws>`");
    let clear: unknown;
    try {
      clear = JSON.parse(record![1]!);
    } catch {
      refuse("the CSV trailer's claims are not JSON");
    }
    return { format: "csv", clear, jws: record![2]! };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return refuse("the file has no trailer (its last line is neither an NDJSON `_export` line nor a CSV `#export` record): it is cut short or not an export");
  }
  const t = parsed as { _export?: unknown; jws?: unknown };
  if (typeof t !== "object" || t === null || t._export === undefined || typeof t.jws !== "string") {
    refuse("the file has no trailer (its last line is not `{\"_export\": …, \"jws\": …}`): it is cut short or not an export");
  }
  return { format: "ndjson", clear: t._export, jws: t.jws as string };
}

async function verifyTrailer(trailer: Trailer, jwks: JSONWebKeySet): Promise<{ claims: ExportClaims; kid: string }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(trailer.jws);
  } catch {
    return refuse("the trailer's signature is not a compact JWS");
  }
  if (header.typ !== EXPORT_TYP) refuse(`the trailer's JWS has typ ${String(header.typ)}, not ${EXPORT_TYP}`);
  if (header.alg !== "EdDSA") refuse(`the trailer's JWS has alg ${String(header.alg)}, not EdDSA`);
  const kid = String(header.kid ?? "");
  if (!jwks.keys.some((k) => k.kid === kid)) refuse(`the trailer is signed with key ${kid || "(no kid)"}, which is not in the JWKS`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(trailer.jws, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] }));
  } catch {
    return refuse(`the trailer's signature does not verify with key ${kid}: the trailer was altered or signed by another key`);
  }
  const claims = JSON.parse(new TextDecoder().decode(payload)) as ExportClaims;
  if (canonicalJson(claims) !== canonicalJson(trailer.clear)) refuse("the trailer's clear claims differ from the signed ones");
  if (claims.format !== trailer.format) refuse(`the trailer says ${claims.format}, the file is ${trailer.format}`);
  const t = claims.tree_head;
  if (!t || !Number.isSafeInteger(t.tree_size) || t.tree_size < 0 || !HEX64.test(t.root_hash)) refuse("the trailer's tree head is malformed");
  if (claims.range?.from_seq !== 1 || claims.range.to_seq !== t.tree_size) refuse("the trailer's range is not 1..tree_size");
  return { claims, kid };
}

// ── the filter, as timelineWhere applies it ──────────────────────────────────────────────────

/** Which rows the stated filter admits, judged from the content alone; members that cannot be judged offline are listed. */
function filterCheck(filter: Record<string, string>): { admits: (c: ChainContent) => string | null; unchecked: string[] } {
  const tests: ((c: ChainContent) => string | null)[] = [];
  const unchecked: string[] = [];
  const equal = (key: string, value: (c: ChainContent) => unknown) => {
    const want = filter[key];
    if (want !== undefined) tests.push((c) => (value(c) === want ? null : `${key}=${want}`));
  };
  if (filter.from !== undefined) {
    const from = Date.parse(filter.from);
    tests.push((c) => (Date.parse(c.occurred_at) >= from ? null : `from=${filter.from}`));
  }
  if (filter.to !== undefined) {
    const to = Date.parse(filter.to);
    tests.push((c) => (Date.parse(c.occurred_at) < to ? null : `to=${filter.to}`));
  }
  if (filter.type !== undefined) {
    const types = new Set(filter.type.split(",").map((t) => t.trim()).filter(Boolean));
    tests.push((c) => (types.size === 0 || types.has(c.type) ? null : `type=${filter.type}`));
  }
  equal("actor", (c) => c.actor.id);
  if (filter.agent !== undefined) {
    // A uuid: PostgreSQL compares it case-insensitively.
    const agent = filter.agent.toLowerCase();
    tests.push((c) => (c.agent_id?.toLowerCase() === agent ? null : `agent=${filter.agent}`));
  }
  equal("action", (c) => c.action);
  equal("environment", (c) => c.environment);
  equal("risk", (c) => c.risk_level);
  equal("outcome", (c) => c.outcome);
  equal("channel", (c) => c.channel);
  if (filter.request !== undefined) {
    const request = filter.request.toLowerCase();
    tests.push((c) => (c.request_id?.toLowerCase() === request ? null : `request=${filter.request}`));
  }
  // A params_hash names requests; which requests had it is the database's word, not the rows'.
  if (filter.params_hash !== undefined) unchecked.push("params_hash");
  // Free text matches PostgreSQL's text of the payload (jsonb's own formatting): the server's word.
  if (filter.q !== undefined) unchecked.push("q");
  return {
    admits: (c) => {
      for (const t of tests) {
        const miss = t(c);
        if (miss) return miss;
      }
      return null;
    },
    unchecked,
  };
}

// ── rows ─────────────────────────────────────────────────────────────────────────────────────

const NDJSON_MEMBERS = new Set<string>(["id", ...CONTENT_FIELDS, "prev_hash", "hash", "inclusion_proof"]);

type Row = { content: ChainContent; contentText: string; prevHash: string; hash: string; proof: string[] | null };

function rowFromNdjson(line: string, n: number): Row {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return refuse("the row is not JSON", { row: n });
  }
  const seq = typeof e.seq === "number" ? e.seq : undefined;
  if (typeof e !== "object" || e === null || Array.isArray(e)) refuse("the row is not a JSON object", { row: n });
  for (const k of CONTENT_FIELDS) if (!(k in e)) refuse(`the row has no ${k}`, { row: n, seq });
  // Nothing beside what is hashed, the chain columns, the proof and the row id (which no hash covers).
  for (const k of Object.keys(e)) if (!NDJSON_MEMBERS.has(k)) refuse(`the row has a member no hash covers: ${k}`, { row: n, seq });
  const proof = e.inclusion_proof === undefined ? null : (e.inclusion_proof as string[]);
  if (proof !== null && (!Array.isArray(proof) || !proof.every((h) => typeof h === "string"))) refuse("inclusion_proof is not a list of hashes", { row: n, seq });
  const content = contentOf(e);
  let contentText: string;
  try {
    contentText = canonicalJson(content);
  } catch {
    return refuse("the row's content cannot be canonicalised", { row: n, seq });
  }
  return { content, contentText, prevHash: String(e.prev_hash), hash: String(e.hash), proof };
}

function rowFromCsv(record: (string | null)[], n: number): Row {
  const at = { row: n, seq: Number(record[0]) };
  if (record.length !== CSV_COLUMNS.length) refuse(`the record has ${record.length} fields, not ${CSV_COLUMNS.length}`, at);
  const cell = (name: string) => record[CSV_COLUMNS.indexOf(name)] ?? null;
  const contentText = cell("content") ?? "";
  let content: ChainContent;
  try {
    content = JSON.parse(contentText) as ChainContent;
  } catch {
    return refuse("the content cell is not JSON", at);
  }
  if (typeof content !== "object" || content === null || Array.isArray(content)) refuse("the content cell is not a JSON object", at);
  for (const k of CONTENT_FIELDS) if (!(k in content)) refuse(`the content has no ${k}`, at);
  if (Object.keys(content).length !== CONTENT_FIELDS.length) refuse("the content has members the chain does not hash", at);
  // The hash is computed over the cell's text itself, which must be the canonical form of what it holds.
  if (canonicalJson(content) !== contentText) refuse("the content cell is not canonical JSON (RFC 8785)", at);
  const proofCell = cell("inclusion_proof");
  const proof = proofCell === null ? null : proofCell.split(" ");
  const prevHash = cell("prev_hash") ?? "";
  const hash = cell("hash") ?? "";
  const expected = csvCells(content, contentText, prevHash, hash, proof);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== (record[i] ?? null)) refuse(`the ${CSV_COLUMNS[i]} cell disagrees with the hashed content`, { row: n, seq: content.seq });
  }
  return { content, contentText, prevHash, hash, proof };
}

/** The rows' raw records, one at a time, without the CSV header and the trailer. */
/** A strict UTF-8 decoder whose failure is a refusal, not a crash. */
function utf8() {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    decode(bytes?: Uint8Array, opts?: { stream: boolean }): string {
      try {
        return decoder.decode(bytes, opts);
      } catch {
        return refuse("the file is not valid UTF-8");
      }
    },
  };
}

async function* ndjsonLines(file: string): AsyncGenerator<string> {
  let rest = "";
  const decoder = utf8();
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const lines = (rest + decoder.decode(chunk as Buffer, { stream: true })).split("\n");
    rest = lines.pop()!;
    yield* lines;
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/**
 * RFC 4180 records of a text, from `start`: null when the text ends inside a record and more may
 * come. An unquoted empty field is NULL, a quoted one the empty string. Hops between quotes,
 * commas and newlines with native searches (csv-parse spends ~0.5 ms a record on these rows).
 */
function csvRecordAt(s: string, start: number, final: boolean): { cells: (string | null)[]; end: number } | null {
  const cells: (string | null)[] = [];
  let i = start;
  let comma = -2;
  let nl = -2;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let text = "";
      let j = i + 1;
      for (;;) {
        const k = s.indexOf('"', j);
        if (k === -1) return null;
        if (s.charCodeAt(k + 1) === 34) {
          text += s.slice(j, k + 1);
          j = k + 2;
          continue;
        }
        if (k + 1 === s.length && !final) return null;
        text += s.slice(j, k);
        i = k + 1;
        break;
      }
      cells.push(text);
    } else {
      if (comma !== -1 && comma < i) comma = s.indexOf(",", i);
      if (nl !== -1 && nl < i) nl = s.indexOf("\n", i);
      let end = comma === -1 ? nl : nl === -1 ? comma : Math.min(comma, nl);
      if (end === -1) {
        if (!final) return null;
        end = s.length;
      }
      if (end === nl && s.charCodeAt(end - 1) === 13) end--;
      const text = s.slice(i, end);
      if (text.includes('"')) refuse(`a quote inside an unquoted CSV field, at character ${i}`);
      cells.push(text === "" ? null : text);
      i = end;
    }
    const c = s.charCodeAt(i);
    if (c === 44) {
      i++;
      continue;
    }
    if (c === 10) return { cells, end: i + 1 };
    if (c === 13 && s.charCodeAt(i + 1) === 10) return { cells, end: i + 2 };
    if (i >= s.length) return final ? { cells, end: i } : null;
    return refuse(`text after a closing quote in a CSV field, at character ${i}`);
  }
}

async function* csvRecords(file: string): AsyncGenerator<(string | null)[]> {
  const decoder = utf8();
  let text = "";
  let final = false;
  const chunks = fs.createReadStream(file, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
  while (!final) {
    const next = await chunks.next();
    if (next.done) {
      text += decoder.decode();
      final = true;
    } else {
      text += decoder.decode(next.value as Buffer, { stream: true });
    }
    let pos = 0;
    for (;;) {
      if (pos >= text.length) break;
      const record = csvRecordAt(text, pos, final);
      if (record === null) break;
      yield record.cells;
      pos = record.end;
    }
    text = text.slice(pos);
  }
}

// ── the whole file ───────────────────────────────────────────────────────────────────────────

type Links = {
  has(seq: number): boolean;
  add(seq: number, hash: string, prev: string, row: number): void;
  /** Checks prev_hash(k) = hash(k-1) wherever both are present; answers how many links held. */
  check(): number;
};

function sparseLinks(): Links {
  const bySeq = new Map<number, { hash: string; prev: string; row: number }>();
  return {
    has: (seq) => bySeq.has(seq),
    add: (seq, hash, prev, row) => void bySeq.set(seq, { hash, prev, row }),
    check() {
      let n = 0;
      for (const seq of [...bySeq.keys()].sort((a, b) => a - b)) {
        const before = bySeq.get(seq - 1);
        if (!before) continue;
        const row = bySeq.get(seq)!;
        if (row.prev !== before.hash) refuse(`the chain breaks between #${seq - 1} and #${seq}: prev_hash is not the hash before it`, { row: row.row, seq });
        n++;
      }
      return n;
    },
  };
}

function wholeLinks(size: number): Links {
  const hashes = Buffer.alloc(size * HASH_BYTES);
  const prevs = Buffer.alloc(size * HASH_BYTES);
  const rows = new Float64Array(size);
  return {
    has: (seq) => rows[seq - 1] !== 0,
    add(seq, hash, prev, row) {
      hashes.write(hash, (seq - 1) * HASH_BYTES, "hex");
      prevs.write(prev, (seq - 1) * HASH_BYTES, "hex");
      rows[seq - 1] = row;
    },
    check() {
      let n = 0;
      for (let seq = 2; seq <= size; seq++) {
        if (rows[seq - 1] === 0 || rows[seq - 2] === 0) continue;
        const i = (seq - 1) * HASH_BYTES;
        if (!prevs.subarray(i, i + HASH_BYTES).equals(hashes.subarray(i - HASH_BYTES, i))) {
          refuse(`the chain breaks between #${seq - 1} and #${seq}: prev_hash is not the hash before it`, { row: rows[seq - 1], seq });
        }
        n++;
      }
      return n;
    },
  };
}

/** Verifies an export file against a JWKS. Never throws for a bad file: the answer says what failed first. */
export async function verifyExportFile(file: string, jwks: JSONWebKeySet): Promise<ExportVerification> {
  const checked: string[] = [];
  const result: ExportVerification = { ok: false, rows: 0, checked };
  try {
    const trailer = parseTrailer(lastLine(file));
    const { claims, kid } = await verifyTrailer(trailer, jwks);
    Object.assign(result, { format: claims.format, kid, claims });
    checked.push(`trailer signed by ${kid} (${EXPORT_TYP})`);
    await verifyRows(file, claims, result);
    result.ok = true;
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    result.failure = err.failure;
  }
  return result;
}

async function verifyRows(file: string, claims: ExportClaims, result: ExportVerification): Promise<void> {
  const { tree_size: size, root_hash: rootHex } = claims.tree_head;
  const root = Buffer.from(rootHex, "hex");
  const whole = claims.proofs === "none";
  const filter = filterCheck(claims.filter ?? {});
  if (whole && Object.keys(claims.filter ?? {}).length > 0) refuse("the trailer claims a whole-log export (no proofs) with a filter");
  const digest = rowsDigest();
  // Hashes by seq, for the chain links (and, for a whole-log export, to rebuild the root): flat
  // buffers when the rows are the whole tree, a map for a filtered few.
  const wholeLeaves = whole ? Buffer.alloc(size * HASH_BYTES) : null;
  const links = whole ? wholeLinks(size) : sparseLinks();
  const timeSort = claims.sort === "time desc" ? -1 : claims.sort === "time asc" ? 1 : 0;
  let lastTime: number | null = null;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let n = 0;
  let trailerSeen = false;

  const check = (row: Row) => {
    n++;
    const { content, hash } = row;
    const seq = content.seq;
    const at = { row: n, seq };
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > size) refuse(`seq ${String(seq)} is outside the signed range 1..${size}`, at);
    if (!HEX64.test(hash) || !HEX64.test(row.prevHash)) refuse("hash or prev_hash is not 64 lower-case hex characters", at);
    if (createHash("sha256").update(row.prevHash + row.contentText, "utf8").digest("hex") !== hash) {
      refuse(`event #${seq} was altered: its hash does not match SHA-256(prev_hash || canonical content)`, at);
    }
    if (seq === 1 && row.prevHash !== GENESIS_HASH) refuse("event #1 does not start from the genesis hash", at);
    if (links.has(seq)) refuse(`event #${seq} appears twice`, at);
    const miss = filter.admits(content);
    if (miss) refuse(`event #${seq} does not match the stated filter (${miss})`, at);
    if (timeSort !== 0) {
      const t = Date.parse(content.occurred_at);
      if (lastTime !== null && Math.sign(t - lastTime) === -timeSort) refuse(`event #${seq} is out of the stated order (${claims.sort})`, at);
      lastTime = t;
    }
    const leaf = leafHash(Buffer.from(hash, "hex"));
    if (wholeLeaves) {
      if (row.proof !== null && row.proof.length > 0) refuse("a row of a whole-log export carries a proof", at);
      leaf.copy(wholeLeaves, (seq - 1) * HASH_BYTES);
    } else {
      if (row.proof === null || !row.proof.every((h) => HEX64.test(h))) refuse("the row has no inclusion proof", at);
      const reached = rootFromInclusionProof(leaf, seq - 1, size, row.proof!.map((h) => Buffer.from(h, "hex")));
      if (!reached?.equals(root)) refuse(`event #${seq}'s inclusion proof does not lead to the signed tree head`, at);
    }
    links.add(seq, hash, row.prevHash, n);
    digest.add(hash);
    firstSeq = firstSeq === null ? seq : Math.min(firstSeq, seq);
    lastSeq = lastSeq === null ? seq : Math.max(lastSeq, seq);
  };

  if (claims.format === "ndjson") {
    let pending: string | null = null;
    for await (const line of ndjsonLines(file)) {
      if (line === "") continue;
      if (pending !== null) check(rowFromNdjson(pending, n + 1));
      pending = line;
    }
    trailerSeen = pending !== null; // the last line is the trailer (verified above)
  } else {
    let header = true;
    let pending: (string | null)[] | null = null;
    for await (const record of csvRecords(file)) {
      if (header) {
        if (record.join(",") !== CSV_COLUMNS.join(",")) refuse("the CSV header is not the documented columns");
        if (claims.columns?.join(",") !== CSV_COLUMNS.join(",")) refuse("the trailer's columns are not the documented columns");
        header = false;
        continue;
      }
      if (pending !== null) {
        if (pending[0] === CSV_TRAILER_MARK) refuse("a trailer record before the last record", { row: n + 1 });
        check(rowFromCsv(pending, n + 1));
      }
      pending = record;
    }
    trailerSeen = pending?.[0] === CSV_TRAILER_MARK;
  }
  if (!trailerSeen) refuse("the trailer is not the file's last record");
  result.rows = n;
  result.checked.push(`${n} rows: each hash recomputed from its content${claims.format === "csv" ? ", readable cells equal to it" : ""}`);

  if (n !== claims.rows) refuse(`the file has ${n} rows, the signed trailer says ${claims.rows}: ${n < claims.rows ? "rows were dropped" : "rows were added"}`);
  if (digest.hex() !== claims.rows_sha256) refuse("the rows' digest differs from the signed rows_sha256: rows were dropped, replaced or reordered");
  if (firstSeq !== claims.first_seq || lastSeq !== claims.last_seq) refuse("the rows' seq range differs from the signed first_seq/last_seq");
  result.checked.push(`row count and rows_sha256 as signed`);

  if (wholeLeaves) {
    if (n !== size) refuse(`a whole-log export of a tree of ${size} must hold ${size} rows, it holds ${n}`);
    if (!MerkleTree.fromLeafHashes(wholeLeaves).root().equals(root)) refuse("the root rebuilt from the rows differs from the signed tree head");
    result.checked.push(`root of all ${size} events rebuilt and equal to the signed tree head`);
  } else {
    result.checked.push(`every row's inclusion proof leads to the signed tree head (size ${size})`);
  }
  const linked = links.check();
  result.checked.push(`${linked} chain links between consecutive events`);
  const stated = Object.keys(claims.filter ?? {});
  result.checked.push(
    stated.length === 0
      ? "no filter: the whole log up to the tree head"
      : `filter ${stated.filter((k) => !filter.unchecked.includes(k)).join(", ") || "(none checkable)"} checked on every row` +
          (filter.unchecked.length ? `; ${filter.unchecked.join(", ")} not checkable offline` : ""),
  );
}

/** The JWKS the verifier trusts: a file (or an inline JSON text) holding `{"keys": [...]}` or one JWK. */
export function readJwks(source: string): JSONWebKeySet {
  const text = source.trim().startsWith("{") ? source : fs.readFileSync(source, "utf8");
  const parsed = JSON.parse(text) as JSONWebKeySet | JSONWebKeySet["keys"][number];
  return "keys" in parsed && Array.isArray(parsed.keys) ? (parsed as JSONWebKeySet) : { keys: [parsed as JSONWebKeySet["keys"][number]] };
}

/** One paragraph for people: OK with what was checked, or the first failure. */
export function describeVerification(file: string, v: ExportVerification): string {
  if (v.ok) {
    const c = v.claims!;
    return [
      `Export OK: ${file} — ${c.format}, ${v.rows} rows, tree head ${c.tree_head.tree_size} (root ${c.tree_head.root_hash}), exported ${c.exported_at}.`,
      ...v.checked.map((line) => `  ✓ ${line}`),
    ].join("\n");
  }
  const f = v.failure!;
  const where = f.row !== undefined ? `row ${f.row}${f.seq !== undefined && Number.isFinite(f.seq) ? ` (event #${f.seq})` : ""}: ` : "";
  return `Export FAILED: ${file} — ${where}${f.reason}`;
}
