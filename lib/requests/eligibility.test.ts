import { describe, expect, it } from "vitest";
import { parsePolicy } from "@/lib/policy/load";
import { breakGlassRefusal, decidingGroups, retrospectiveRefusal, STEP_UP_MAX_AGE_MS, voteRefusal, type Ballot, type BreakGlassBallot, type Voter } from "./eligibility";
import { MACHINE_STATES, next } from "./machine";

const policy = parsePolicy(
  `version: 1
roles:
  admin: [admins]
  reviewer: [oncall, sec, "github:acme/sre", data]
  auditor: [compliance]
approver_groups:
  oncall: [oncall, "github:acme/sre"]
  security: [sec, admins]
  data: [data]
  legal: [compliance]
rules:
  - name: everything
    match: { action: "**" }
    decision: require_approval
    risk: 10
    approvers: [oncall]
`,
  "eligibility.yaml",
);

const person = (groups: string[], email = "pat@acme.test", personId = "person-pat"): Voter => ({ personId, emails: [email], groups });
const ballot = (over: Partial<Ballot> = {}): Ballot => ({
  state: "pending",
  approverGroups: ["security"],
  owner: "owner@acme.test",
  onBehalfOf: null,
  voters: [],
  stepUp: false,
  ...over,
});
const code = (p: Voter, b: Ballot, vote: "approve" | "deny" = "approve") => voteRefusal(policy, p, b, vote)?.code ?? "ok";

describe("voteRefusal: who may cast this vote on this request", () => {
  it("a reviewer in one of the request's approver groups may vote", () => {
    expect(code(person(["sec"]), ballot())).toBe("ok");
    expect(code(person(["github:acme/sre"]), ballot({ approverGroups: ["oncall", "security", "data"] }))).toBe("ok");
    expect(code(person(["sec"]), ballot({ approverGroups: ["oncall"] }))).toBe("not_eligible");
    expect(code(person(["sec"]), ballot({ approverGroups: [] }))).toBe("not_eligible");
  });

  it("deciding needs a deciding role: auditors never decide, even in an approver group", () => {
    // compliance is in the "legal" approver group but holds no reviewer role.
    expect(voteRefusal(policy, person(["compliance"]), ballot({ approverGroups: ["legal"] }), "approve")).toEqual({
      code: "forbidden",
      message: "Auditors have read-only access; they cannot decide requests.",
    });
    expect(code(person(["engineering"]), ballot())).toBe("forbidden");
    expect(code(person(["compliance", "data"]), ballot({ approverGroups: ["legal"] }))).toBe("ok");
  });

  it("admins decide only where an approver group names them", () => {
    expect(code(person(["admins"]), ballot({ approverGroups: ["security"] }))).toBe("ok");
    expect(code(person(["admins"]), ballot({ approverGroups: ["oncall"] }))).toBe("not_eligible");
  });

  it("no self-approval, no exemptions: owner and on_behalf_of may deny but never approve", () => {
    const owner = person(["sec", "admins"], "Owner@Acme.test");
    expect(voteRefusal(policy, owner, ballot(), "approve")?.message).toBe(
      "You cannot approve this request: you own the agent that filed it. No exemptions, admins included.",
    );
    expect(code(owner, ballot(), "deny")).toBe("ok");
    const requester = person(["sec"], "req@acme.test");
    expect(voteRefusal(policy, requester, ballot({ onBehalfOf: "REQ@acme.test" }), "approve")?.message).toBe(
      "You cannot approve this request: it was filed on your behalf. No exemptions, admins included.",
    );
    expect(code(requester, ballot({ onBehalfOf: "req@acme.test" }), "deny")).toBe("ok");
  });

  it("one vote per reviewer", () => {
    expect(code(person(["sec"]), ballot({ voters: ["person-pat"] }))).toBe("already_voted");
    expect(code(person(["sec"]), ballot({ voters: ["person-pat"] }), "deny")).toBe("already_voted");
  });

  it("one person, any identity: every e-mail of the person counts for self-approval", () => {
    const alice = { personId: "person-alice", emails: ["alice@personal.example", "alice@acme.test"], groups: ["sec"] };
    expect(code(alice, ballot({ owner: "alice@acme.test" }))).toBe("self_approval");
    expect(code(alice, ballot({ onBehalfOf: "ALICE@personal.example" }))).toBe("self_approval");
    expect(code(alice, ballot({ voters: ["person-alice"] }), "deny")).toBe("already_voted");
  });

  it("a step-up request is approved only within minutes of a sign-in; denying needs none", () => {
    const now = new Date("2030-01-01T12:00:00Z");
    const signedIn = (ms: number | null): Voter => ({ ...person(["sec"]), authTime: ms === null ? null : new Date(now.getTime() - ms) });
    const b = ballot({ stepUp: true });
    expect(voteRefusal(policy, signedIn(60_000), b, "approve", now)).toBeNull();
    expect(voteRefusal(policy, signedIn(STEP_UP_MAX_AGE_MS), b, "approve", now)).toBeNull();
    expect(voteRefusal(policy, signedIn(STEP_UP_MAX_AGE_MS + 1), b, "approve", now)?.code).toBe("step_up_required");
    expect(voteRefusal(policy, signedIn(null), b, "approve", now)?.code).toBe("step_up_required");
    expect(voteRefusal(policy, signedIn(null), b, "deny", now)).toBeNull();
    expect(voteRefusal(policy, signedIn(null), ballot({ stepUp: false }), "approve", now)).toBeNull();
  });

  it("only a pending request takes votes, whoever asks (the machine says why)", () => {
    for (const state of MACHINE_STATES.filter((s) => s !== "pending")) {
      const refusal = voteRefusal(policy, person(["sec"]), ballot({ state }), "approve");
      expect(refusal?.code).toBe(state === "expired" ? "expired" : "already_decided");
    }
  });

  it("checks in a fixed order, so each person gets one stable reason", () => {
    // Expired beats everything; the role beats self-approval; self-approval beats the group.
    expect(code(person(["compliance"], "owner@acme.test"), ballot({ state: "expired" }))).toBe("expired");
    expect(code(person(["compliance"], "owner@acme.test"), ballot())).toBe("forbidden");
    expect(code(person(["oncall"], "owner@acme.test"), ballot())).toBe("self_approval");
    expect(code(person(["oncall"]), ballot({ voters: ["person-pat"] }))).toBe("not_eligible");
  });
});

describe("breakGlassRefusal: who may approve alone", () => {
  const glass = (over: Partial<BreakGlassBallot> = {}): BreakGlassBallot => ({ state: "pending", owner: "owner@acme.test", onBehalfOf: null, breakGlassGroups: ["security"], ...over });
  const bg = (p: Voter, b: BreakGlassBallot) => breakGlassRefusal(policy, p, b)?.code ?? "ok";

  it("a reviewer in one of the rule's break-glass groups, on a pending request whose rule allows it", () => {
    expect(bg(person(["sec"]), glass())).toBe("ok");
    expect(bg(person(["admins"]), glass())).toBe("ok");
    expect(bg(person(["sec"]), glass({ breakGlassGroups: null }))).toBe("break_glass_not_allowed");
    expect(bg(person(["sec"]), glass({ breakGlassGroups: [] }))).toBe("break_glass_not_allowed");
    expect(bg(person(["oncall"]), glass())).toBe("not_eligible");
    expect(bg(person(["compliance"]), glass({ breakGlassGroups: ["legal"] }))).toBe("forbidden");
  });

  it("never on one's own request, admins included", () => {
    expect(bg(person(["admins"], "owner@acme.test"), glass())).toBe("self_approval");
    expect(bg(person(["sec"], "Req@Acme.test"), glass({ onBehalfOf: "req@acme.test" }))).toBe("self_approval");
  });

  it("the machine decides the state: only pending moves", () => {
    for (const state of MACHINE_STATES) {
      const move = next(state, "break_glass");
      expect(bg(person(["sec"]), glass({ state }))).toBe(move.ok ? "ok" : move.code);
    }
  });
});

describe("retrospectiveRefusal and decidingGroups", () => {
  const r = (over: Partial<Parameters<typeof retrospectiveRefusal>[2]> = {}) => ({ approverGroups: ["oncall"], breakGlassBy: "person-sam", reviewState: "pending", ...over });
  const rv = (p: Voter, x = r()) => retrospectiveRefusal(policy, p, x)?.code ?? "ok";

  it("another approver of the request reviews a pending break-glass; not the one who broke it, not an auditor", () => {
    expect(rv(person(["oncall"]))).toBe("ok");
    expect(rv(person(["oncall"], "sam@acme.test", "person-sam"))).toBe("self_approval");
    expect(rv(person(["sec"]))).toBe("not_eligible");
    expect(rv(person(["compliance"]))).toBe("forbidden");
    expect(rv(person(["oncall"]), r({ reviewState: "acknowledged" }))).toBe("no_review_owed");
    expect(rv(person(["oncall"]), r({ reviewState: null }))).toBe("no_review_owed");
  });

  it("an escalation adds its group to who may decide", () => {
    expect(decidingGroups({ approverGroups: ["oncall"], escalatedTo: ["security", "oncall"] })).toEqual(["oncall", "security"]);
    expect(code(person(["sec"]), ballot({ approverGroups: decidingGroups({ approverGroups: ["oncall"], escalatedTo: ["security"] }) }))).toBe("ok");
  });
});

