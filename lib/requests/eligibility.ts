// May this person cast this vote on this request, and if not, why. The one rule behind every door:
// decideRequest applies it in its transaction (console, Slack, API alike), and the inbox, the request
// page and Slack's deny dialog ask it to explain a disabled button in the same words.
import { rolesCan } from "@/lib/auth/viewer";
import { approverGroupsFor, rolesForGroups } from "@/lib/policy/evaluate";
import type { Policy } from "@/lib/policy/types";
import type { ReviewDecision } from "@/lib/vocabulary";
import { next, type MachineState, type Refusal } from "./machine";
import type { RequestView } from "./schema";

export type Vote = ReviewDecision;

/** How recent a sign-in must be to approve a step-up request. */
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;

/** The person voting, as their authority stands now (lib/auth/authority.ts). */
export type Voter = {
  personId: string;
  /** Every e-mail of the person's identities. */
  emails: readonly string[];
  /** Their confirmed groups. */
  groups: readonly string[];
  /** When they last authenticated at their provider, if the door knows (a console session does). */
  authTime?: Date | null;
};

/** What the rule needs to know of a request. */
export type Ballot = {
  /** The machine state now (expiry applied). */
  state: MachineState;
  approverGroups: readonly string[];
  /** The owner of the agent that filed the request. */
  owner: string;
  onBehalfOf: string | null;
  /** People who have already voted on it (linked identities resolved to one person). */
  voters: readonly string[];
  /** Approving needs a recent sign-in. */
  stepUp: boolean;
};

/** The approver groups that may decide: the rule's, and any the request was escalated to. */
export function decidingGroups(r: { approverGroups: readonly string[]; escalatedTo: readonly string[] }): string[] {
  return [...new Set([...r.approverGroups, ...r.escalatedTo])];
}

export function ballotOf(view: RequestView): Ballot {
  return {
    state: view.status,
    approverGroups: decidingGroups({ approverGroups: view.policy.approver_groups, escalatedTo: view.escalated_to }),
    owner: view.agent.owner,
    onBehalfOf: view.on_behalf_of,
    voters: view.reviews.map((r) => r.reviewer),
    stepUp: view.policy.step_up,
  };
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Why `voter` may not cast `vote` on the request, or null. In order: the request must be open to
 * votes (the state machine), the person must hold a deciding role, must not approve their own
 * request (any of their identities owns its agent or is the human it acts for: no exemptions,
 * admins included), must belong to one of the request's approver groups, votes once, and approves
 * a step-up request only within minutes of signing in.
 */
export function voteRefusal(policy: Policy, voter: Voter, ballot: Ballot, vote: Vote, now = new Date()): Refusal | null {
  const move = next(ballot.state, "vote");
  if (!move.ok) return { code: move.code, message: move.message };

  const roles = rolesForGroups(policy, voter.groups);
  if (!rolesCan(roles, "decide")) {
    return {
      code: "forbidden",
      message: roles.includes("auditor") ? "Auditors have read-only access; they cannot decide requests." : "You have no reviewer role.",
    };
  }
  if (vote === "approve") {
    const self = selfApproval(voter, ballot);
    if (self) return self;
  }
  const mine = approverGroupsFor(policy, voter.groups);
  if (!ballot.approverGroups.some((g) => mine.includes(g))) {
    return {
      code: "not_eligible",
      message: `Only members of ${ballot.approverGroups.join(", ") || "(no approver group)"} may decide this request.`,
    };
  }
  if (ballot.voters.includes(voter.personId)) return { code: "already_voted", message: "You have already voted on this request." };
  if (vote === "approve" && ballot.stepUp && !(voter.authTime && now.getTime() - voter.authTime.getTime() <= STEP_UP_MAX_AGE_MS)) {
    return {
      code: "step_up_required",
      message: "Approving this request needs a fresh sign-in (within the last 5 minutes): re-authenticate in the Countersign console, then approve.",
    };
  }
  return null;
}

/** Approving one's own request (owning its agent, or being the human it acts for), or null. */
function selfApproval(voter: Voter, ballot: Pick<Ballot, "owner" | "onBehalfOf">): Refusal | null {
  const mine = new Set(voter.emails.map(norm));
  const whose = mine.has(norm(ballot.owner))
    ? "you own the agent that filed it"
    : ballot.onBehalfOf && mine.has(norm(ballot.onBehalfOf))
      ? "it was filed on your behalf"
      : null;
  return whose ? { code: "self_approval", message: `You cannot approve this request: ${whose}. No exemptions, admins included.` } : null;
}

/** What the break-glass rule needs to know of a request. */
export type BreakGlassBallot = Pick<Ballot, "state" | "owner" | "onBehalfOf"> & {
  /** The rule's break-glass groups; null when the rule does not allow break-glass. */
  breakGlassGroups: readonly string[] | null;
};

/**
 * Why `voter` may not break the glass on the request, or null: the machine must allow it (a pending
 * request), the rule must allow it, the person must hold a deciding role, must not approve their own
 * request (no exemptions here either), and must belong to one of the rule's break-glass groups.
 * No quorum, no prior vote and no step-up: that is what the written reason and the retrospective
 * review stand in for.
 */
export function breakGlassRefusal(policy: Policy, voter: Voter, ballot: BreakGlassBallot): Refusal | null {
  const move = next(ballot.state, "break_glass");
  if (!move.ok) return { code: move.code, message: move.message };
  if (!ballot.breakGlassGroups || ballot.breakGlassGroups.length === 0) {
    return { code: "break_glass_not_allowed", message: "The policy rule for this request does not allow break-glass." };
  }
  const roles = rolesForGroups(policy, voter.groups);
  if (!rolesCan(roles, "decide")) return { code: "forbidden", message: "Only reviewers may break the glass." };
  const self = selfApproval(voter, ballot);
  if (self) return self;
  const mine = approverGroupsFor(policy, voter.groups);
  if (!ballot.breakGlassGroups.some((g) => mine.includes(g))) {
    return { code: "not_eligible", message: `Only members of ${ballot.breakGlassGroups.join(", ")} may break the glass on this request.` };
  }
  return null;
}

/** Why `voter` may not record the retrospective review of a break-glass approval, or null. */
export function retrospectiveRefusal(
  policy: Policy,
  voter: Voter,
  r: { approverGroups: readonly string[]; breakGlassBy: string | null; reviewState: string | null },
): Refusal | null {
  if (r.reviewState !== "pending") return { code: "no_review_owed", message: "This request owes no retrospective review." };
  if (!rolesCan(rolesForGroups(policy, voter.groups), "decide")) return { code: "forbidden", message: "Only reviewers may review a break-glass." };
  if (r.breakGlassBy === voter.personId) {
    return { code: "self_approval", message: "You broke the glass on this request: another approver must review it." };
  }
  const mine = approverGroupsFor(policy, voter.groups);
  if (!r.approverGroups.some((g) => mine.includes(g))) {
    return { code: "not_eligible", message: `Only members of ${r.approverGroups.join(", ")} may review this break-glass.` };
  }
  return null;
}

/**
 * A refusal on the person's groups (no reviewer role, not in an approver group) while some of their
 * identities' groups could not be confirmed just now: those might have made the difference, so
 * never refuse on stale data; ask them to sign in again instead.
 */
export function unlessUnconfirmed(refusal: Refusal | null, unconfirmedIdentities: number): Refusal | null {
  if (refusal && (refusal.code === "forbidden" || refusal.code === "not_eligible") && unconfirmedIdentities > 0) {
    return {
      code: "reauthentication_required",
      message: "Countersign could not confirm all of your groups just now. Sign in to Countersign again, then retry.",
    };
  }
  return refusal;
}
