// The human-readable report of `countersign audit verify`: what was checked, then OK or the first
// failure with its position, event and request.
import type { EvidenceVerification } from "./verify";

const n = (x: number) => x.toLocaleString("en");

export function evidenceReport(r: EvidenceVerification): string {
  const { checkpoints, requests } = r.checked;
  const sink = checkpoints.sinkFile ? `${n(checkpoints.sink)} in the sink ${checkpoints.sinkFile}` : "no external sink configured (COUNTERSIGN_CHECKPOINT_DIR)";
  const lines = [
    "Checked:",
    `  chain    ${n(r.checked.events)} sealed events: hash links and each event's MAC`,
    `  signed   ${n(checkpoints.stored)} checkpoints in the database, ${sink}${checkpoints.latest ? `; latest #${checkpoints.latest.seq} at ${checkpoints.latest.signedAt}` : ""}`,
    `  requests ${requests === null ? "not reconciled (the chain failed first)" : `${n(requests)} rows reconciled with their sealed events (status, votes, params_hash)`}`,
  ];
  if (r.ok) {
    lines.push(`OK: chain verified up to #${r.head?.seq ?? 0} (head ${r.head?.hash ?? "-"}); ${n(r.unsealed)} events not yet sealed.`);
  } else {
    const b = r.broken!;
    const where = [b.seq > 0 ? `#${b.seq}` : null, b.eventId ? `event ${b.eventId}` : null, b.requestId ? `request ${b.requestId}` : null].filter(Boolean).join(", ");
    lines.push(`FAILED${where ? ` at ${where}` : ""}: ${b.reason}`);
  }
  return lines.join("\n");
}
