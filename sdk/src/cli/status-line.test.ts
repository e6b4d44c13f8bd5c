import { afterEach, describe, expect, it, vi } from "vitest";
import type { RequestView, Review } from "../types.js";
import { createProgress } from "./progress.js";
import { formatTimeLeft, statusLine } from "./status-line.js";

const NOW = Date.parse("2030-01-01T12:00:00.000Z");

function view(over: Partial<RequestView> = {}): RequestView {
  return {
    id: "8f1c2d3e-0000-4000-8000-000000000001",
    status: "pending",
    action: "db.migrate",
    resource: "orders",
    environment: "production",
    intent: "Add the index",
    context: {},
    origin: {},
    on_behalf_of: null,
    callback_url: null,
    params_hash: "0".repeat(64),
    agent: { id: "a1", name: "deploy-bot", owner: "owner@example.com" },
    risk: { score: 45, level: "medium", reasons: [] },
    policy: { rule: "everything-else", decision: "require_approval", hash: "h", explanation: "needs one approval", approver_groups: ["platform-oncall"], step_up: false },
    approvals: { count: 0, required: 1 },
    reviews: [],
    decision_deadline: new Date(NOW + 15 * 60_000).toISOString(),
    grant_expires_at: null,
    created_at: new Date(NOW - 1000).toISOString(),
    decided_at: null,
    executed_at: null,
    result: null,
    ...over,
  };
}

const review = (name: string, decision: "approve" | "deny", note: string | null = null): Review => ({
  reviewer: name.toLowerCase(),
  name,
  decision,
  note,
  channel: "console",
  at: new Date(NOW).toISOString(),
});

describe("formatTimeLeft", () => {
  it("reads as m:ss under an hour, h:mm:ss under a day, days and hours beyond", () => {
    expect(formatTimeLeft(59_000)).toBe("0:59 left");
    expect(formatTimeLeft(14 * 60_000 + 5_000)).toBe("14:05 left");
    expect(formatTimeLeft(3600_000 + 2 * 60_000 + 3_000)).toBe("1:02:03 left");
    expect(formatTimeLeft(2 * 86_400_000 + 3 * 3600_000)).toBe("2d 3h left");
  });

  it("rounds a part-second up, so the last second shows 0:01 rather than 0:00", () => {
    expect(formatTimeLeft(400)).toBe("0:01 left");
  });

  it("says the deadline passed at and after zero", () => {
    expect(formatTimeLeft(0)).toBe("deadline passed");
    expect(formatTimeLeft(-5_000)).toBe("deadline passed");
  });
});

describe("statusLine", () => {
  it("shows a pending request's n of m, who may decide and the time left", () => {
    expect(statusLine(view(), NOW)).toBe("waiting for approval · 0 of 1 approvals · from platform-oncall · 15:00 left");
  });

  it("names who approved so far, in voting order", () => {
    const v = view({
      approvals: { count: 1, required: 2 },
      reviews: [review("Sam Second", "approve")],
      policy: { ...view().policy, approver_groups: ["security"] },
      decision_deadline: new Date(NOW + 29 * 60_000 + 58_000).toISOString(),
    });
    expect(statusLine(v, NOW)).toBe("waiting for approval · 1 of 2 approvals (Sam Second) · from security · 29:58 left");
  });

  it("counts down with the clock", () => {
    expect(statusLine(view(), NOW + 61_000)).toMatch(/13:59 left$/);
  });

  it("says approved with the approvers, or by policy when nobody was asked", () => {
    const approved = view({ status: "approved", approvals: { count: 2, required: 2 }, reviews: [review("Rita Reviewer", "approve"), review("Sam Second", "approve")] });
    expect(statusLine(approved, NOW)).toBe("approved · 2 of 2 approvals (Rita Reviewer, Sam Second)");
    const auto = view({ status: "approved", approvals: { count: 0, required: 0 }, policy: { ...view().policy, rule: "reads-are-free", decision: "auto_approve" } });
    expect(statusLine(auto, NOW)).toBe("approved by policy rule reads-are-free (no reviewer needed)");
  });

  it("names the denying reviewer and their note; a deny rule is a refusal", () => {
    const denied = view({ status: "denied", reviews: [review("Rita Reviewer", "deny", "Not during the freeze")] });
    expect(statusLine(denied, NOW)).toBe("denied by Rita Reviewer: Not during the freeze");
    const refused = view({ status: "denied", policy: { ...view().policy, rule: "no-prod-db-drops", decision: "deny" } });
    expect(statusLine(refused, NOW)).toBe("refused by policy rule no-prod-db-drops");
  });

  it("tells a decision deadline from a lapsed grant window", () => {
    expect(statusLine(view({ status: "expired" }), NOW)).toMatch(/nobody decided/);
    expect(statusLine(view({ status: "expired", decided_at: new Date(NOW).toISOString() }), NOW)).toMatch(/grant window/);
  });
});

describe("progress", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const sink = (tty: boolean) => {
    const out: string[] = [];
    const calls: string[] = [];
    return {
      out,
      calls,
      stream: {
        isTTY: tty,
        columns: 60,
        write: (s: string) => (out.push(s), true),
        cursorTo: ((x: number) => (calls.push(`cursorTo ${x}`), true)) as NodeJS.WriteStream["cursorTo"],
        clearLine: ((d: number) => (calls.push(`clearLine ${d}`), true)) as NodeJS.WriteStream["clearLine"],
      },
    };
  };

  it("logs one plain line per change (not per tick) when stderr is not a terminal", () => {
    const s = sink(false);
    const p = createProgress({ stream: s.stream, json: false, now: () => NOW });
    p.watch(view());
    p.watch(view());
    p.watch(view({ approvals: { count: 1, required: 2 }, reviews: [review("Rita Reviewer", "approve")] }));
    expect(s.out).toEqual([
      "countersign: waiting for approval · 0 of 1 approvals · from platform-oncall · 15:00 left\n",
      "countersign: waiting for approval · 1 of 2 approvals (Rita Reviewer) · from platform-oncall · 15:00 left\n",
    ]);
    expect(s.calls).toEqual([]);
  });

  it("redraws one line in place on a terminal, clipped to its width, and clears it on stop", () => {
    const s = sink(true);
    const p = createProgress({ stream: s.stream, json: false, now: () => NOW });
    p.watch(view());
    p.watch(view({ approvals: { count: 1, required: 2 } }));
    expect(s.out.every((line) => !line.includes("\n"))).toBe(true);
    expect(s.out.every((line) => line.length <= 59)).toBe(true);
    expect(s.calls).toEqual(["cursorTo 0", "clearLine 0"]);
    p.stop();
    expect(s.calls).toEqual(["cursorTo 0", "clearLine 0", "cursorTo 0", "clearLine 0"]);
  });

  it("ticks the countdown every second while pending, and stops ticking once decided", () => {
    vi.useFakeTimers();
    const s = sink(true);
    let now = NOW;
    const p = createProgress({ stream: { ...s.stream, columns: 200 }, json: false, now: () => now });
    p.watch(view());
    now += 1000;
    vi.advanceTimersByTime(1000);
    now += 1000;
    vi.advanceTimersByTime(1000);
    expect(s.out.map((l) => /(\d+:\d\d) left/.exec(l)?.[1])).toEqual(["15:00", "14:59", "14:58"]);
    p.watch(view({ status: "approved", approvals: { count: 1, required: 1 }, reviews: [review("Rita Reviewer", "approve")] }));
    const drawn = s.out.length;
    vi.advanceTimersByTime(5000);
    expect(s.out.length).toBe(drawn);
    p.stop();
  });

  it("writes JSON lines with --json", () => {
    const s = sink(true);
    const p = createProgress({ stream: s.stream, json: true, now: () => NOW });
    p.say("filed", { id: "r1" }, "ignored in JSON");
    p.watch(view());
    expect(s.out.map((l) => JSON.parse(l))).toEqual([
      { event: "filed", id: "r1" },
      { event: "state", id: view().id, status: "pending", approvals: { count: 0, required: 1 }, approved_by: [], decision_deadline: view().decision_deadline },
    ]);
  });
});
