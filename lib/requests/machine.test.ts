import { describe, expect, it } from "vitest";
import type { RequestStatus } from "@/lib/vocabulary";
import {
  COMMANDS,
  DEADLINES,
  effectiveStatus,
  initialStatus,
  isDue,
  isTerminal,
  MACHINE_STATES,
  msUntilDeadline,
  next,
  stateOf,
  type Command,
  type MachineState,
} from "./machine";

// The whole table, written out once more by hand: every state × every command → the next status
// or the refusal code. A change to the machine must change this too.
const EXPECTED: Record<MachineState, Record<Command, RequestStatus | `!${string}`>> = {
  pending: { vote: "pending", approve: "approved", deny: "denied", break_glass: "approved", claim: "!not_approved", report: "!not_executed", cancel: "cancelled", expire: "expired", follow_up: "pending" },
  approved: { vote: "!already_decided", approve: "!already_decided", deny: "!already_decided", break_glass: "!already_decided", claim: "executed", report: "!not_executed", cancel: "!not_pending", expire: "expired", follow_up: "!not_pending" },
  denied: { vote: "!already_decided", approve: "!already_decided", deny: "!already_decided", break_glass: "!already_decided", claim: "!denied", report: "!not_executed", cancel: "!not_pending", expire: "!conflict", follow_up: "!not_pending" },
  expired: { vote: "!expired", approve: "!expired", deny: "!expired", break_glass: "!expired", claim: "!expired", report: "!not_executed", cancel: "!expired", expire: "!conflict", follow_up: "!expired" },
  cancelled: { vote: "!already_decided", approve: "!already_decided", deny: "!already_decided", break_glass: "!already_decided", claim: "!cancelled", report: "!not_executed", cancel: "!not_pending", expire: "!conflict", follow_up: "!not_pending" },
  executed: { vote: "!already_decided", approve: "!already_decided", deny: "!already_decided", break_glass: "!already_decided", claim: "!already_executed", report: "executed", cancel: "!not_pending", expire: "!conflict", follow_up: "!not_pending" },
  reported: { vote: "!already_decided", approve: "!already_decided", deny: "!already_decided", break_glass: "!already_decided", claim: "!already_executed", report: "!result_already_reported", cancel: "!not_pending", expire: "!conflict", follow_up: "!not_pending" },
};

const T = new Date("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(T.getTime() + ms);
const row = (status: RequestStatus, over: Partial<{ decisionDeadline: Date; grantExpiresAt: Date | null; resultStatus: string | null }> = {}) => ({
  status,
  decisionDeadline: at(60_000),
  grantExpiresAt: null,
  resultStatus: null,
  ...over,
});

describe("the request state machine", () => {
  for (const state of MACHINE_STATES) {
    for (const command of COMMANDS) {
      it(`${state} × ${command}`, () => {
        const move = next(state, command);
        const want = EXPECTED[state][command];
        if (want.startsWith("!")) {
          expect(move).toMatchObject({ ok: false, code: want.slice(1) });
          if (!move.ok) expect(move.message.length).toBeGreaterThan(10);
        } else {
          expect(move).toEqual({ ok: true, to: want });
        }
      });
    }
  }

  it("a terminal state never moves to another status", () => {
    for (const state of MACHINE_STATES) {
      const status: RequestStatus = state === "reported" ? "executed" : state;
      if (!isTerminal(status)) continue;
      for (const command of COMMANDS) {
        const move = next(state, command);
        if (move.ok) expect(move.to).toBe(status);
      }
    }
  });

  it("only pending and approved are open, everything else terminal", () => {
    expect((["pending", "approved", "denied", "expired", "cancelled", "executed"] as const).filter((s) => !isTerminal(s))).toEqual(["pending", "approved"]);
  });

  it("the policy decision picks the initial status", () => {
    expect(initialStatus("require_approval")).toBe("pending");
    expect(initialStatus("auto_approve")).toBe("approved");
    expect(initialStatus("deny")).toBe("denied");
  });
});

describe("deadlines: the one definition of expired", () => {
  it("a pending request expires at its decision deadline, the instant itself included", () => {
    const r = row("pending");
    expect(effectiveStatus(r, at(59_999))).toBe("pending");
    expect(effectiveStatus(r, at(60_000))).toBe("expired");
    expect(isDue(r, at(60_000))).toBe(true);
    expect(msUntilDeadline(r, at(10_000))).toBe(50_000);
    expect(msUntilDeadline(r, at(90_000))).toBe(0);
  });

  it("an approval expires at the end of its grant window, not at the decision deadline", () => {
    const r = row("approved", { decisionDeadline: at(-1), grantExpiresAt: at(30_000) });
    expect(effectiveStatus(r, at(29_999))).toBe("approved");
    expect(effectiveStatus(r, at(30_000))).toBe("expired");
    expect(msUntilDeadline(r, at(0))).toBe(30_000);
  });

  it("no other status lapses by the clock", () => {
    for (const status of ["denied", "expired", "cancelled", "executed"] as const) {
      const r = row(status, { decisionDeadline: at(-1), grantExpiresAt: at(-1) });
      expect(effectiveStatus(r, at(1e9))).toBe(status);
      expect(isDue(r, at(1e9))).toBe(false);
      expect(msUntilDeadline(r, at(0))).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it("exactly the statuses the machine lets expire carry a deadline", () => {
    const expirable = MACHINE_STATES.filter((s) => next(s, "expire").ok);
    expect(DEADLINES.map((d) => d.status)).toEqual(expirable);
  });

  it("an executed request with a result is in the reported state", () => {
    expect(stateOf(row("executed", { resultStatus: "succeeded" }), T)).toBe("reported");
    expect(stateOf(row("executed"), T)).toBe("executed");
    expect(stateOf(row("pending"), at(60_000))).toBe("expired");
  });
});
