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

export function ballotOf(view: RequestView): Ballot {
  return {
    state: view.status,
    approverGroups: view.policy.approver_groups,
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
    const mine = new Set(voter.emails.map(norm));
    const whose = mine.has(norm(ballot.owner))
      ? "you own the agent that filed it"
      : ballot.onBehalfOf && mine.has(norm(ballot.onBehalfOf))
        ? "it was filed on your behalf"
        : null;
    if (whose) return { code: "self_approval", message: `You cannot approve this request: ${whose}. No exemptions, admins included.` };
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
