// The request state machine: which command may move a request from which state, and to where; and
// the one definition of "expired" (a deadline that has passed), from which the sweeper's and the
// inbox's SQL conditions and the long-poll's wake-up time are derived. Pure: no I/O, no clock.
import type { RequestRow } from "@/db/schema";
import type { RequestStatus } from "@/lib/vocabulary";
import type { ErrorCode } from "@/lib/errors";

/**
 * The machine's state: the request's effective status, with an executed request that has reported
 * its result told apart (it accepts no second result).
 */
export type MachineState = RequestStatus | "reported";

/**
 * What can be asked of a request. A reviewer's approve vote is `vote` while it leaves the quorum
 * short and `approve` when it completes it; `deny` is any one eligible deny. `break_glass` is one
 * eligible person's emergency approval, quorum or not; `follow_up` is the system's reminder or
 * escalation of a request still waiting (it changes who hears of it and who may decide, never the
 * status).
 */
export type Command = "vote" | "approve" | "deny" | "break_glass" | "claim" | "report" | "cancel" | "expire" | "follow_up";

export const COMMANDS: readonly Command[] = ["vote", "approve", "deny", "break_glass", "claim", "report", "cancel", "expire", "follow_up"];
export const MACHINE_STATES: readonly MachineState[] = ["pending", "approved", "denied", "expired", "cancelled", "executed", "reported"];

export type Refusal = { code: ErrorCode; message: string };
export type Move = { ok: true; to: RequestStatus } | ({ ok: false } & Refusal);

/** Terminal states never change status again (an executed request still takes its one result). */
export const TERMINAL_STATUSES: ReadonlySet<RequestStatus> = new Set(["denied", "expired", "cancelled", "executed"]);
export const isTerminal = (status: RequestStatus): boolean => TERMINAL_STATUSES.has(status);

const to = (status: RequestStatus): Move => ({ ok: true, to: status });
const no = (code: ErrorCode, message: string): Move => ({ ok: false, code, message });

const alreadyDecided = (s: MachineState) => no("already_decided", `The request is already ${s === "reported" ? "executed" : s}.`);
const notPending = (s: MachineState) =>
  no("not_pending", `Only a pending request can be cancelled; this one is ${s === "reported" ? "executed" : s}.`);
const notExecuted = no("not_executed", "Only an executed request can report a result.");
const expired = no("expired", "The request expired: its decision deadline or grant window passed.");
const noExpiry = no("conflict", "Only a pending or approved request expires.");
const noFollowUp = no("not_pending", "Only a pending request is reminded or escalated.");

/** Every state × every command (the exhaustive test walks this table). */
const TABLE: Record<MachineState, Record<Command, Move>> = {
  pending: {
    vote: to("pending"),
    approve: to("approved"),
    deny: to("denied"),
    break_glass: to("approved"),
    claim: no("not_approved", "The request has not been approved yet."),
    report: notExecuted,
    cancel: to("cancelled"),
    expire: to("expired"),
    follow_up: to("pending"),
  },
  approved: {
    vote: alreadyDecided("approved"),
    approve: alreadyDecided("approved"),
    deny: alreadyDecided("approved"),
    break_glass: alreadyDecided("approved"),
    claim: to("executed"),
    report: notExecuted,
    cancel: notPending("approved"),
    expire: to("expired"),
    follow_up: noFollowUp,
  },
  denied: {
    vote: alreadyDecided("denied"),
    approve: alreadyDecided("denied"),
    deny: alreadyDecided("denied"),
    break_glass: alreadyDecided("denied"),
    claim: no("denied", "The request was denied."),
    report: notExecuted,
    cancel: notPending("denied"),
    expire: noExpiry,
    follow_up: noFollowUp,
  },
  expired: {
    vote: expired,
    approve: expired,
    deny: expired,
    break_glass: expired,
    claim: expired,
    report: notExecuted,
    cancel: expired,
    expire: noExpiry,
    follow_up: expired,
  },
  cancelled: {
    vote: alreadyDecided("cancelled"),
    approve: alreadyDecided("cancelled"),
    deny: alreadyDecided("cancelled"),
    break_glass: alreadyDecided("cancelled"),
    claim: no("cancelled", "The request was cancelled."),
    report: notExecuted,
    cancel: notPending("cancelled"),
    expire: noExpiry,
    follow_up: noFollowUp,
  },
  executed: {
    vote: alreadyDecided("executed"),
    approve: alreadyDecided("executed"),
    deny: alreadyDecided("executed"),
    break_glass: alreadyDecided("executed"),
    claim: no("already_executed", "This approval was already used."),
    report: to("executed"),
    cancel: notPending("executed"),
    expire: noExpiry,
    follow_up: noFollowUp,
  },
  reported: {
    vote: alreadyDecided("reported"),
    approve: alreadyDecided("reported"),
    deny: alreadyDecided("reported"),
    break_glass: alreadyDecided("reported"),
    claim: no("already_executed", "This approval was already used."),
    report: no("result_already_reported", "A result was already reported for this request."),
    cancel: notPending("reported"),
    expire: noExpiry,
    follow_up: noFollowUp,
  },
};

/** Where `command` takes a request in `state`, or why it may not. */
export function next(state: MachineState, command: Command): Move {
  return TABLE[state][command];
}

// ── deadlines: the one definition of "expired" ─────────────────────────────────────────────────

export type ExpiryPhase = "decision_deadline" | "grant_window";

/**
 * A status that lapses by the clock alone, and the column holding when. A request in `status`
 * whose `field` is at or before now is expired, whether or not the sweeper has recorded it yet.
 */
export const DEADLINES = [
  { status: "pending", field: "decisionDeadline", phase: "decision_deadline" },
  { status: "approved", field: "grantExpiresAt", phase: "grant_window" },
] as const satisfies readonly { status: RequestStatus; field: keyof RequestRow; phase: ExpiryPhase }[];

export type Deadline = (typeof DEADLINES)[number];
type Dated = Pick<RequestRow, "status" | "decisionDeadline" | "grantExpiresAt">;

/** The deadline the request's stored status is running against, if any. */
export function deadlineOf(r: Dated): { at: Date; phase: ExpiryPhase } | null {
  const d = DEADLINES.find((x) => x.status === r.status);
  const at = d ? r[d.field] : null;
  return d && at ? { at, phase: d.phase } : null;
}

/** True when the request's deadline has passed (the deadline instant itself counts as passed). */
export function isDue(r: Dated, now: Date): boolean {
  const d = deadlineOf(r);
  return d !== null && d.at.getTime() <= now.getTime();
}

/** The status every reader and writer acts on: expiry applies on read, before any sweep. */
export function effectiveStatus(r: Dated, now: Date): RequestStatus {
  return isDue(r, now) ? "expired" : r.status;
}

/** The machine state of a stored request at `now`. */
export function stateOf(r: Dated & Pick<RequestRow, "resultStatus">, now: Date): MachineState {
  const status = effectiveStatus(r, now);
  return status === "executed" && r.resultStatus ? "reported" : status;
}

/** Milliseconds until the status would change by the clock alone (expiry), if ever. */
export function msUntilDeadline(r: Dated, now: Date): number {
  const d = deadlineOf(r);
  return d ? Math.max(0, d.at.getTime() - now.getTime()) : Number.POSITIVE_INFINITY;
}

/** What the initial policy decision makes of a new request. */
export function initialStatus(decision: "require_approval" | "auto_approve" | "deny"): RequestStatus {
  return decision === "auto_approve" ? "approved" : decision === "deny" ? "denied" : "pending";
}
