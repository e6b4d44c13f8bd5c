// The Requests list: every request a console reader may see, newest first, filtered by the URL
// (./list-filter), in keyset pages with the total the filter matches and the page's position.
import { getDb } from "@/db/client";
import {
  countRequestList,
  selectRequestEnvironments,
  selectRequestListPage,
  selectReviews,
  type RequestListCursor,
  type RequestListFilter,
} from "@/db/queries/requests";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { isUuid } from "@/lib/vocabulary";
import { REQUESTS_PAGE_SIZE, type RequestListQuery } from "./list-filter";
import type { RequestView } from "./schema";
import type { Clock } from "./transition";
import { toRequestView } from "./view";

export type RequestListPage = {
  items: RequestView[];
  /** Requests the filter matches, on every page. */
  total: number;
  /** 1-based position of the page's first row among them (0 when there is none). */
  first: number;
  /** Cursors of the neighbouring pages, when there are any. */
  older: string | null;
  newer: string | null;
};

const encodeCursor = (r: { created_at: string; id: string }) => Buffer.from(JSON.stringify([r.created_at, r.id])).toString("base64url");
function decodeCursor(raw: string | undefined): RequestListCursor | undefined {
  if (!raw) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, "base64url").toString()) as [string, string];
    if (typeof at !== "string" || Number.isNaN(Date.parse(at)) || typeof id !== "string" || !isUuid(id)) return undefined;
    return { createdAt: new Date(at), id };
  } catch {
    return undefined;
  }
}

export const toRequestListFilter = (q: RequestListQuery): RequestListFilter => ({
  status: q.status,
  environment: q.environment,
  riskLevel: q.risk,
  agentId: q.agent,
  actionContains: q.action,
});

export async function listRequests(viewer: Viewer | null, q: RequestListQuery, clock: Clock = {}): Promise<RequestListPage> {
  assertCan(viewer, "read");
  const now = clock.now ?? new Date();
  const db = await getDb();
  const filter = toRequestListFilter(q);
  const after = decodeCursor(q.after);
  const before = after ? undefined : decodeCursor(q.before);
  const from = after ? { after } : before ? { before } : undefined;
  let rows = await selectRequestListPage(db, filter, now, REQUESTS_PAGE_SIZE, from);
  // Walking back past the newest row (or a stale cursor) lands on the first page.
  if (from && rows.length === 0) rows = await selectRequestListPage(db, filter, now, REQUESTS_PAGE_SIZE);
  const head = rows[0]?.request;
  const [counts, reviews] = await Promise.all([
    countRequestList(db, filter, now, head ? { createdAt: head.createdAt, id: head.id } : undefined),
    selectReviews(db, rows.map((r) => r.request.id)),
  ]);
  const items = rows.map(({ request, agent }) => toRequestView(request, agent, reviews.filter((v) => v.requestId === request.id), now));
  const first = items.length > 0 ? counts.newer + 1 : 0;
  const last = items.at(-1);
  return {
    items,
    total: counts.total,
    first,
    older: last && first + items.length - 1 < counts.total ? encodeCursor(last) : null,
    newer: items[0] && counts.newer > 0 ? encodeCursor(items[0]) : null,
  };
}

/** The menus' choices: environments requests were filed for. */
export async function requestListFacets(viewer: Viewer | null): Promise<{ environments: string[] }> {
  assertCan(viewer, "read");
  return { environments: await selectRequestEnvironments(await getDb()) };
}
