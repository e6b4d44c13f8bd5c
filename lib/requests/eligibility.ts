// May this person cast this vote on this request, and if not, why. The one rule behind every door:
// decideRequest applies it in its transaction (console, Slack, API alike), and the inbox, the request
// page and Slack's deny dialog ask it to explain a disabled button in the same words.
import { rolesCan } from "@/lib/auth/viewer";
import { approverGroupsFor, rolesForGroups } from "@/lib/policy/evaluate";
import type { Policy, ReviewerIdentity } from "@/lib/policy/types";
import type { ReviewDecision } from "@/lib/vocabulary";
import { next, type MachineState, type Refusal } from "./machine";
import type { RequestView } from "./schema";

export type Vote = ReviewDecision;

/** What the rule needs to know of a request. */
export type Ballot = {
  /** The machine state now (expiry applied). */
  state: MachineState;
  approverGroups: readonly string[];
  /** The owner of the agent that filed the request. */
  owner: string;
  onBehalfOf: string | null;
  /** Reviewers who have already voted on it. */
  voters: readonly string[];
};

export function ballotOf(view: RequestView): Ballot {
  return {
    state: view.status,
    approverGroups: view.policy.approver_groups,
    owner: view.agent.owner,
    onBehalfOf: view.on_behalf_of,
    voters: view.reviews.map((r) => r.reviewer),
  };
}

const sameEmail = (a: string | null | undefined, b: string | null | undefined) =>
  !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Why `person` may not cast `vote` on the request, or null. In order: the request must be open to
 * votes (the state machine), the person must hold a deciding role, must not approve their own
 * request (its agent's owner or the human it acts for: no exemptions, admins included), must belong
 * to one of the request's approver groups, and votes once.
 */
export function voteRefusal(policy: Policy, person: ReviewerIdentity, ballot: Ballot, vote: Vote): Refusal | null {
  const move = next(ballot.state, "vote");
  if (!move.ok) return { code: move.code, message: move.message };

  const roles = rolesForGroups(policy, person.groups);
  if (!rolesCan(roles, "decide")) {
    return {
      code: "forbidden",
      message: roles.includes("auditor") ? "Auditors have read-only access; they cannot decide requests." : "You have no reviewer role.",
    };
  }
  if (vote === "approve") {
    const whose = sameEmail(person.email, ballot.owner)
      ? "you own the agent that filed it"
      : sameEmail(person.email, ballot.onBehalfOf)
        ? "it was filed on your behalf"
        : null;
    if (whose) return { code: "self_approval", message: `You cannot approve this request: ${whose}. No exemptions, admins included.` };
  }
  const mine = approverGroupsFor(policy, person.groups);
  if (!ballot.approverGroups.some((g) => mine.includes(g))) {
    return {
      code: "not_eligible",
      message: `Only members of ${ballot.approverGroups.join(", ") || "(no approver group)"} may decide this request.`,
    };
  }
  if (ballot.voters.includes(person.id)) return { code: "already_voted", message: "You have already voted on this request." };
  return null;
}
