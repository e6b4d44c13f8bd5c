// The words a waiting agent's operator sees: one line per request state (status, n of m
// approvals and from whom, who may decide, time left until the decision deadline). Pure, so the
// wording is tested without a terminal; progress.ts decides where and how often it is drawn.
import type { RequestView } from "../types.js";

/** Time left as a person reads it: `m:ss` under an hour, `h:mm:ss` under a day, then days and hours. */
export function formatTimeLeft(ms: number): string {
  if (ms <= 0) return "deadline passed";
  const s = Math.ceil(ms / 1000);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${hours}h left`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)} left`;
  return `${minutes}:${pad(seconds)} left`;
}

/** The names of the people who approved, in the order they voted. */
export function approvers(view: Pick<RequestView, "reviews">): string[] {
  return view.reviews.filter((r) => r.decision === "approve").map((r) => r.name);
}

function approvalCount(view: RequestView): string {
  const names = approvers(view);
  return `${view.approvals.count} of ${view.approvals.required} approvals${names.length ? ` (${names.join(", ")})` : ""}`;
}

/**
 * One line for the request's state at `now`, e.g.
 * `waiting for approval · 1 of 2 approvals (Rita Reviewer) · from security · 29:58 left`.
 */
export function statusLine(view: RequestView, now: number): string {
  switch (view.status) {
    case "pending": {
      const from = view.policy.approver_groups.length ? ` · from ${view.policy.approver_groups.join(", ")}` : "";
      const left = formatTimeLeft(Date.parse(view.decision_deadline) - now);
      return `waiting for approval · ${approvalCount(view)}${from} · ${left}`;
    }
    case "approved":
      return view.reviews.length === 0 && view.policy.decision === "auto_approve"
        ? `approved by policy rule ${view.policy.rule} (no reviewer needed)`
        : `approved · ${approvalCount(view)}`;
    case "denied": {
      const vote = [...view.reviews].reverse().find((r) => r.decision === "deny");
      if (!vote) return `refused by policy rule ${view.policy.rule}`;
      return `denied by ${vote.name}${vote.note ? `: ${vote.note}` : ""}`;
    }
    case "expired":
      return view.decided_at ? "expired: the approval was not claimed within its grant window" : "expired: nobody decided before the deadline";
    case "cancelled":
      return "cancelled";
    case "executed":
      return view.result ? `executed · result ${view.result.status}` : "executed · result not reported yet";
  }
}

/** What changes the line other than the clock: a plain log writes one line per distinct key. */
export function stateKey(view: RequestView): string {
  return `${view.status}|${view.approvals.count}/${view.approvals.required}|${view.reviews.length}`;
}
