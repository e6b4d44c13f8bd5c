// `countersign status <id>` for people: the request as a reviewer would see it, in a few labelled
// lines (the raw view is `--json`). Pure: the caller passes the clock and the console link.
import type { RequestView } from "../types.js";
import { statusLine } from "./status-line.js";

export function requestSummary(view: RequestView, now: number, consoleUrl: string): string {
  const rows: [string, string][] = [
    ["Request", view.id],
    ["Status", `${view.status} (${statusLine(view, now)})`],
    ["Action", `${view.action} on ${view.resource} in ${view.environment}`],
    ["Intent", view.intent],
    ["Agent", `${view.agent.name} (owner ${view.agent.owner})`],
    ["Risk", `${view.risk.level} (${view.risk.score})`],
    ["Policy", `${view.policy.rule} (${view.policy.decision}): ${view.policy.explanation}`],
    ["Approvals", `${view.approvals.count} of ${view.approvals.required}`],
  ];
  for (const r of view.reviews) rows.push(["Review", `${r.name} ${r.decision === "approve" ? "approved" : "denied"} via ${r.channel} at ${r.at}${r.note ? `: ${r.note}` : ""}`]);
  const argv = view.context.argv;
  if (Array.isArray(argv)) rows.push(["Command", JSON.stringify(argv)]);
  if (typeof view.context.cwd === "string") rows.push(["Directory", view.context.cwd]);
  if (view.status === "pending") rows.push(["Deadline", view.decision_deadline]);
  if (view.grant_expires_at && view.status === "approved") rows.push(["Claim by", view.grant_expires_at]);
  if (view.executed_at) rows.push(["Executed", view.executed_at]);
  if (view.result) rows.push(["Result", `${view.result.status}${view.result.detail ? ` ${JSON.stringify(view.result.detail)}` : ""}`]);
  rows.push(["Params", view.params_hash]);
  rows.push(["Console", consoleUrl]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}
