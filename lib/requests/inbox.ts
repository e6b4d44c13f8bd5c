// The reviewer's inbox: pending requests, riskiest and newest first, each marked with whether this
// viewer may decide it and, if not, why (the same rule the decision itself enforces).
import { z } from "zod";
import { getDb } from "@/db/client";
import { countInbox, selectInboxFacets, selectInboxPage, selectReviews } from "@/db/queries/requests";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { getActivePolicy } from "@/lib/policy/load";
import { RISK_LEVELS } from "@/lib/vocabulary";
import { processWide } from "@/lib/runtime/process-wide";
import { ballotOf, voteRefusal } from "./eligibility";
import type { RequestView } from "./schema";
import { toRequestView } from "./view";

export const inboxQuery = z.object({
  risk: z.enum(RISK_LEVELS).optional().catch(undefined),
  environment: z.string().max(64).optional().catch(undefined),
  agent: z.uuid().optional().catch(undefined),
  action: z.string().max(200).optional().catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
});
export type InboxQuery = z.infer<typeof inboxQuery>;

export type InboxItem = RequestView & { decidable: boolean; blockedReason: string | null; votedByViewer: boolean };

export type Inbox = {
  items: InboxItem[];
  total: number;
  nextCursor: string | null;
  facets: Awaited<ReturnType<typeof selectInboxFacets>>;
};

const PAGE = 50;

// Filter menus change only when new kinds of requests arrive; a few seconds of staleness is fine
// and saves a grouped scan of every pending request on each (live-refreshed) inbox render.
const FACETS_TTL_MS = 5_000;
type FacetCache = { hit?: { at: number; value: Promise<Inbox["facets"]> } };
const facetCache = processWide<FacetCache>("inbox-facets", () => ({}));
function cachedFacets(db: Parameters<typeof selectInboxFacets>[0], now: Date): Promise<Inbox["facets"]> {
  const hit = facetCache.hit;
  if (hit && Date.now() - hit.at < FACETS_TTL_MS) return hit.value;
  const value = selectInboxFacets(db, now);
  facetCache.hit = { at: Date.now(), value };
  value.catch(() => (facetCache.hit = undefined));
  return value;
}

const encodeCursor = (v: RequestView & { riskScore?: number }) =>
  Buffer.from(JSON.stringify([v.risk.score, v.created_at, v.id])).toString("base64url");

function decodeCursor(raw: string | undefined) {
  if (!raw) return undefined;
  try {
    const [riskScore, createdAt, id] = JSON.parse(Buffer.from(raw, "base64url").toString()) as [number, string, string];
    if (typeof riskScore !== "number" || !z.uuid().safeParse(id).success || Number.isNaN(Date.parse(createdAt))) return undefined;
    return { riskScore, createdAt: new Date(createdAt), id };
  } catch {
    return undefined;
  }
}

export async function listInbox(viewer: Viewer | null, query: InboxQuery, now = new Date()): Promise<Inbox> {
  const reader = assertCan(viewer, "read");
  const db = await getDb();
  const policy = await getActivePolicy();
  const filter = { riskLevel: query.risk, environment: query.environment, agentId: query.agent, action: query.action };
  const [rows, total, facets] = await Promise.all([
    selectInboxPage(db, filter, now, PAGE + 1, decodeCursor(query.after)),
    countInbox(db, filter, now),
    cachedFacets(db, now),
  ]);
  const page = rows.slice(0, PAGE);
  const reviews = await selectReviews(db, page.map((r) => r.request.id));
  const items = page.map(({ request, agent }) => {
    const mine = reviews.filter((v) => v.requestId === request.id);
    const view = toRequestView(request, agent, mine, now);
    const blockedReason = voteRefusal(policy, reader, ballotOf(view), "approve")?.message ?? null;
    return { ...view, decidable: blockedReason === null, blockedReason, votedByViewer: mine.some((v) => v.reviewerId === reader.personId) };
  });
  const last = items.at(-1);
  return { items, total, nextCursor: rows.length > PAGE && last ? encodeCursor(last) : null, facets };
}
