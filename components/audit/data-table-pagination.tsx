"use client";
// Keyset paging: the URL carries the cursor (`after`) of the page's last row. Pages go forward with
// "Next page"; "First page" drops the cursor (the browser's Back returns to the previous page).
import Link from "next/link";
import { useId } from "react";
import type { Navigate } from "./data-table";
import { PAGE_SIZES, timelineHref, type TimelineView } from "./timeline-url";

const linkClass =
  "inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-xs hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600";
const disabledClass =
  "inline-flex cursor-not-allowed items-center gap-1 rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 text-sm font-medium text-slate-500";

export function DataTablePagination({
  view,
  rowCount,
  nextCursor,
  navigate,
}: {
  view: TimelineView;
  rowCount: number;
  nextCursor: string | null;
  navigate: Navigate;
}) {
  const sizeId = useId();
  const firstPage = view.after ? timelineHref({ ...view, after: undefined }) : null;
  const nextPage = nextCursor ? timelineHref({ ...view, after: nextCursor }) : null;
  const order = view.sort === "time" ? (view.dir === "desc" ? "newest first" : "oldest first") : `by ${view.sort}, ${view.dir === "asc" ? "A–Z" : "Z–A"}`;

  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
      <p data-testid="page-summary">
        {rowCount === 0 ? "No events" : `${rowCount} ${rowCount === 1 ? "event" : "events"}`}
        {view.after ? " on this page" : ""}, {order}
        {nextCursor ? "; more on the next page" : rowCount > 0 ? "; end of the timeline" : ""}.
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <div className="flex items-center gap-2">
          <label htmlFor={sizeId} className="text-xs font-medium text-slate-600">
            Rows per page
          </label>
          <select
            id={sizeId}
            value={view.limit}
            onChange={(e) => navigate((v) => ({ ...v, limit: Number(e.target.value), after: undefined }))}
            className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            {(PAGE_SIZES as readonly number[]).includes(view.limit) ? null : <option value={view.limit}>{view.limit}</option>}
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        {firstPage ? (
          <Link href={firstPage} className={linkClass}>
            <span aria-hidden>«</span> First page
          </Link>
        ) : (
          <span aria-disabled="true" className={disabledClass}>
            <span aria-hidden>«</span> First page
          </span>
        )}
        {nextPage ? (
          <Link href={nextPage} className={linkClass} prefetch={false}>
            Next page <span aria-hidden>›</span>
          </Link>
        ) : (
          <span aria-disabled="true" className={disabledClass}>
            Next page <span aria-hidden>›</span>
          </span>
        )}
      </div>
    </nav>
  );
}
