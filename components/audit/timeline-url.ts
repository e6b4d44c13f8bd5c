// The audit timeline's view state as it lives in the URL: one place that turns filters, sort and
// page into `/audit?…` (and the export link), so the table, toolbar and pagination cannot disagree.
// The names and defaults are lib/audit/timeline-filter.ts's, the ones the server parses.
import {
  DEFAULT_DIR,
  DEFAULT_LIMIT,
  DEFAULT_SORT,
  FILTER_KEYS,
  MAX_LIMIT,
  type FilterKey,
  type SortDir,
  type SortKey,
} from "@/lib/audit/timeline-filter";

export type Filters = Partial<Record<FilterKey, string>>;

export type TimelineView = {
  filters: Filters;
  sort: SortKey;
  dir: SortDir;
  limit: number;
  after?: string;
};

export const PAGE_SIZES = [25, 50, 100, MAX_LIMIT] as const;

/** The filters alone, as the event page takes them (its previous/next stay inside the view). */
export function filterParams(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  return params;
}

/** Filters, then sort and page: defaults are left out so shared links stay short. */
export function viewParams(view: TimelineView, opts: { paging?: boolean } = {}): URLSearchParams {
  const params = filterParams(view.filters);
  if (view.sort !== DEFAULT_SORT) params.set("sort", view.sort);
  if (view.dir !== DEFAULT_DIR) params.set("dir", view.dir);
  if (opts.paging ?? true) {
    if (view.limit !== DEFAULT_LIMIT) params.set("limit", String(view.limit));
    if (view.after) params.set("after", view.after);
  }
  return params;
}

export function timelineHref(view: TimelineView): string {
  const params = viewParams(view);
  return params.size > 0 ? `/audit?${params}` : "/audit";
}

/** The export of exactly this view: same filters and order, every page. */
export function exportHref(view: TimelineView, format: "csv" | "ndjson"): string {
  const params = viewParams(view, { paging: false });
  return `/api/audit/export?${new URLSearchParams([["format", format], ...params])}`;
}

export const hasFilters = (filters: Filters) => FILTER_KEYS.some((k) => Boolean(filters[k]));
