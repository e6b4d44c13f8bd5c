// Reads of requests, each scoped to who is asking: an agent sees its own requests (the scope is in
// the WHERE), a console viewer needs the read capability. A request reads as every reader sees it
// (API, console, Slack and Teams messages): its row, its agent and its votes, turned into the view
// with its effective status at `now`.
import { getDatabase, getDb, type Executor } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { findAgentRequestWithVotes, findRequestWithAgent, requestExists, selectRecentRequestsWithAgents, selectReviews } from "@/db/queries/requests";
import type { Agent, AuditEventRow, RequestRow } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { CountersignError } from "@/lib/errors";
import type { RequestView } from "./schema";
import type { Clock } from "./transition";
import { toRequestView } from "./view";

/** The view of a request already loaded (in a transaction or not). */
export async function loadRequestView(tx: Executor, request: RequestRow, agent: Agent, now: Date): Promise<RequestView> {
  return toRequestView(request, agent, await selectReviews(tx, [request.id]), now);
}

/**
 * The view of a request by id for the system's own senders (Slack and Teams messages, which show
 * it to the channel the policy names), or null if there is no such request.
 */
export async function getRequestView(requestId: string, now = new Date()): Promise<RequestView | null> {
  const db = await getDb();
  const found = await findRequestWithAgent(db, requestId);
  return found ? loadRequestView(db, found.request, found.agent, now) : null;
}

/** An agent's own request: 404 if there is none, 403 if it is another agent's. */
export async function getRequestForAgent(agent: Agent, requestId: string, clock: Clock = {}): Promise<RequestView> {
  const now = clock.now ?? new Date();
  const found = await findAgentRequestWithVotes(await getDatabase(), requestId, agent.id);
  if (found) return toRequestView(found.request, agent, found.reviews, now);
  if (await requestExists(await getDb(), requestId)) throw new CountersignError("forbidden", "This request belongs to another agent.");
  throw new CountersignError("not_found", "No such request.");
}

/** A request with its history, for a console viewer with the read capability; null if none. */
export async function getRequestDetail(
  viewer: Viewer | null,
  requestId: string,
  clock: Clock = {},
): Promise<{ view: RequestView; events: AuditEventRow[] } | null> {
  assertCan(viewer, "read");
  const now = clock.now ?? new Date();
  const db = await getDb();
  const [found, events] = await Promise.all([findRequestWithAgent(db, requestId), selectEventsForRequest(db, requestId)]);
  return found ? { view: await loadRequestView(db, found.request, found.agent, now), events } : null;
}

/** The newest requests, for a console viewer with the read capability. */
export async function listRecentRequests(viewer: Viewer | null, limit = 50, clock: Clock = {}): Promise<RequestView[]> {
  assertCan(viewer, "read");
  const now = clock.now ?? new Date();
  const db = await getDb();
  const rows = await selectRecentRequestsWithAgents(db, limit);
  const reviews = await selectReviews(db, rows.map((r) => r.request.id));
  return rows.map(({ request, agent }) => toRequestView(request, agent, reviews.filter((v) => v.requestId === request.id), now));
}
