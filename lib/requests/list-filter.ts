// The Requests list's view as a URL says it: filter names and the schema that parses them, for
// the page (server) and its table (client). No server imports.
import "@/lib/input/zod-config";
import { z } from "zod";
import { REQUEST_STATUSES, RISK_LEVELS } from "@/lib/vocabulary";

export const REQUEST_FILTER_KEYS = ["status", "environment", "risk", "agent", "action"] as const;
export type RequestFilterKey = (typeof REQUEST_FILTER_KEYS)[number];
export const REQUESTS_PAGE_SIZE = 50;

/** A parameter that does not parse is dropped (links get hand-edited), never an error page. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const text = (max: number) =>
  lenient(
    z
      .string()
      .trim()
      .max(max)
      .transform((s) => s || undefined),
  );

export const requestListQuery = z.object({
  status: lenient(z.enum(REQUEST_STATUSES)),
  environment: text(64),
  risk: lenient(z.enum(RISK_LEVELS)),
  agent: lenient(z.uuid()),
  /** Part of the action's name. */
  action: text(200),
  /** Keyset cursors: the page older than `after`, or newer than `before` (never both). */
  after: text(200),
  before: text(200),
});
export type RequestListQuery = z.infer<typeof requestListQuery>;

export type RequestFilters = Partial<Record<RequestFilterKey, string>>;

/** `/requests?…` for filters and a cursor; empty values are left out so links stay short. */
export function requestsHref(filters: RequestFilters, cursor?: { after: string } | { before: string }): string {
  const params = new URLSearchParams();
  for (const key of REQUEST_FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (cursor && "after" in cursor) params.set("after", cursor.after);
  if (cursor && "before" in cursor) params.set("before", cursor.before);
  return params.size > 0 ? `/requests?${params}` : "/requests";
}
