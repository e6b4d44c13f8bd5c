// The reviewer API's core: what a reviewer's personal token may see and do. Every call resolves the
// token's person with groups confirmed now (resolveAuthority), asks the one eligibility rule what
// they may vote, and decides through decideRequest with channel `api` — the same checks as the
// console. A token proves no recent sign-in, so step-up approvals are sent to the console.
import { getDb } from "@/db/client";
import { findRequestWithAgent, selectInboxPage, selectReviews, type InboxCursor } from "@/db/queries/requests";
import { resolveAuthority, type Authority, type Credential } from "@/lib/auth/authority";
import { rolesCan } from "@/lib/auth/viewer";
import { CountersignError } from "@/lib/errors";
import { consoleRequestUrl } from "@/lib/notify/links";
import { rolesForGroups } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";
import type { Policy } from "@/lib/policy/types";
import { ballotOf, unlessUnconfirmed, voteRefusal, type Vote } from "./eligibility";
import { decideRequest } from "./lifecycle";
import type { Refusal } from "./machine";
import type { RequestView, ReviewList, ReviewView } from "./schema";
import { toRequestView } from "./view";

export type TokenCredential = Extract<Credential, { kind: "token" }>;

/** The most requests one list answer carries. */
export const REVIEW_LIST_LIMIT = 100;
const SCAN_PAGE = 200;

/** A step-up refusal, as a token holder must read it: no sign-in through a token can satisfy it. */
function forToken(refusal: Refusal | null, requestId: string): Refusal | null {
  if (refusal?.code !== "step_up_required") return refusal;
  return {
    code: "step_up_required",
    message: `Approving this request needs a sign-in within the last 5 minutes, which a personal token cannot give: approve it in the Countersign console, ${consoleRequestUrl(requestId)}`,
  };
}

/** The person behind the token, groups confirmed now, who must at least hold a console role that reads. */
async function reader(credential: TokenCredential, now: Date): Promise<{ authority: Authority; policy: Policy }> {
  const [policy, authority] = await Promise.all([getActivePolicy(), resolveAuthority(credential, now)]);
  if (!rolesCan(rolesForGroups(policy, authority.groups), "read")) {
    const refusal = unlessUnconfirmed({ code: "forbidden", message: "You hold no Countersign role: there is nothing you may review." }, authority.unconfirmed.length)!;
    throw new CountersignError(refusal.code, refusal.message);
  }
  return { authority, policy };
}

function reviewOf(policy: Policy, authority: Authority, view: RequestView, now: Date): ReviewView {
  const why = (vote: Vote) => forToken(unlessUnconfirmed(voteRefusal(policy, authority, ballotOf(view), vote, now), authority.unconfirmed.length), view.id);
  const [approve, deny] = [why("approve"), why("deny")];
  return { ...view, you: { may_approve: approve === null, may_deny: deny === null, why_not_approve: approve, why_not_deny: deny } };
}

/** Pending requests the token's person may vote on now (approve, deny or both), riskiest then newest. */
export async function listReviews(credential: TokenCredential, now = new Date()): Promise<ReviewList> {
  const { authority, policy } = await reader(credential, now);
  const db = await getDb();
  const items: ReviewView[] = [];
  let after: InboxCursor | undefined;
  for (;;) {
    const rows = await selectInboxPage(db, {}, now, SCAN_PAGE, after);
    const reviews = await selectReviews(db, rows.map((r) => r.request.id));
    for (const { request, agent } of rows) {
      const review = reviewOf(policy, authority, toRequestView(request, agent, reviews.filter((v) => v.requestId === request.id), now), now);
      if (!review.you.may_approve && !review.you.may_deny) continue;
      if (items.length === REVIEW_LIST_LIMIT) return { items, truncated: true };
      items.push(review);
    }
    const last = rows.at(-1);
    if (rows.length < SCAN_PAGE || !last) return { items, truncated: false };
    after = { riskScore: last.request.riskScore, createdAt: last.request.createdAt, id: last.request.id };
  }
}

/** One request as the token's person sees it, with what they may do with it now. */
export async function showReview(credential: TokenCredential, requestId: string, now = new Date()): Promise<ReviewView> {
  const { authority, policy } = await reader(credential, now);
  const db = await getDb();
  const found = await findRequestWithAgent(db, requestId);
  if (!found) throw new CountersignError("not_found", "No such request.");
  const view = toRequestView(found.request, found.agent, await selectReviews(db, [requestId]), now);
  return reviewOf(policy, authority, view, now);
}

/** The token's person votes: decideRequest, as every door, on channel `api`. */
export async function decideReview(credential: TokenCredential, requestId: string, vote: Vote, note: string | undefined): Promise<RequestView> {
  try {
    return await decideRequest(requestId, credential, vote, note, "api");
  } catch (err) {
    if (err instanceof CountersignError && err.code === "step_up_required") {
      const refusal = forToken(err, requestId)!;
      throw new CountersignError(refusal.code, refusal.message);
    }
    throw err;
  }
}
