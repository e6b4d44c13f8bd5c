// A request as every reader sees it (API, console, Slack and Teams messages): its row, its agent
// and its votes, turned into the view with its effective status at `now`.
import { getDb, type Executor } from "@/db/client";
import { findRequestWithAgent, selectReviews } from "@/db/queries/requests";
import type { Agent, RequestRow } from "@/db/schema";
import type { RequestView } from "./schema";
import { toRequestView } from "./view";

/** The view of a request already loaded (in a transaction or not). */
export async function loadRequestView(tx: Executor, request: RequestRow, agent: Agent, now: Date): Promise<RequestView> {
  return toRequestView(request, agent, await selectReviews(tx, [request.id]), now);
}

/** The view of a request by id, or null if there is no such request. */
export async function getRequestView(requestId: string, now = new Date()): Promise<RequestView | null> {
  const db = await getDb();
  const found = await findRequestWithAgent(db, requestId);
  return found ? loadRequestView(db, found.request, found.agent, now) : null;
}
