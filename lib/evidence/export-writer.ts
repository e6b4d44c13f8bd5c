// Writes an audit export's rows and its trailer's row claims from the database's JSON lines (one
// per event, the timeline API's members): the NDJSON line with its inclusion proof appended, or the
// CSV record with its readable cells, canonical content and proof. Pure — the exporter
// (lib/audit/timeline-export.ts) streams through it, the verifier's tests build files with it.
import { canonicalJson } from "@/lib/audit/canonical";
import { contentOf, csvCells, CSV_HEADER, csvRecord, rowsDigest, type ExportClaims, type ExportFormat } from "./export-format";
import { MerkleTree, type MerkleRootBuilder } from "./merkle";

/** One event as the database writes it: its seq, its hash and its JSON (ending in `}`). */
export type ExportSourceRow = { seq: number; hash: string; line: string };

export type RowClaims = Pick<ExportClaims, "rows" | "first_seq" | "last_seq" | "rows_sha256" | "tree_head" | "proofs">;

/**
 * `proofs`: each row carries its audit path in `tree` (a filtered export), or none (the rows are the
 * whole tree, of which only the root is needed: a MerkleRootBuilder will do).
 */
export function exportWriter(format: ExportFormat, tree: MerkleTree | MerkleRootBuilder, proofs: boolean) {
  if (proofs && !(tree instanceof MerkleTree)) throw new Error("inclusion proofs need the whole tree");
  const digest = rowsDigest();
  let rows = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  const proofOf = (seq: number): string[] | null => (tree instanceof MerkleTree && proofs ? tree.auditPath(seq - 1).map((b) => b.toString("hex")) : null);
  return {
    header: (): string => (format === "csv" ? CSV_HEADER : ""),
    row(r: ExportSourceRow): string {
      digest.add(r.hash);
      rows++;
      if (firstSeq === null || r.seq < firstSeq) firstSeq = r.seq;
      if (lastSeq === null || r.seq > lastSeq) lastSeq = r.seq;
      const proof = proofOf(r.seq);
      if (format === "ndjson") {
        return proof === null ? `${r.line}\n` : `${r.line.slice(0, -1)},"inclusion_proof":${JSON.stringify(proof)}}\n`;
      }
      const event = JSON.parse(r.line) as Record<string, unknown> & { prev_hash: string; hash: string };
      const content = contentOf(event);
      return csvRecord(csvCells(content, canonicalJson(content), event.prev_hash, event.hash, proof));
    },
    /** Once every row is written. */
    claims: (): RowClaims => ({
      rows,
      first_seq: firstSeq,
      last_seq: lastSeq,
      rows_sha256: digest.hex(),
      tree_head: { tree_size: tree.size, root_hash: tree.root().toString("hex") },
      proofs: proofs ? "inclusion" : "none",
    }),
  };
}
