"use client";
// The audit timeline table. Server-driven: the rows are one keyset page the server already
// filtered and sorted; sorting, filtering and paging here only rewrite the URL, which re-renders
// the page on the server. Shown optimistically while that round trip is in flight.
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type SortingState,
  type Updater,
} from "@tanstack/react-table";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useOptimistic, useRef, useTransition } from "react";
import type { SortKey } from "@/lib/audit/timeline-filter";
import { auditColumns, type AuditRow } from "./columns";
import { DataTablePagination } from "./data-table-pagination";
import { DataTableToolbar, type ToolbarOptions } from "./data-table-toolbar";
import { filterParams, hasFilters, timelineHref, type TimelineView } from "./timeline-url";

export type Navigate = (change: (view: TimelineView) => TimelineView) => void;

export function DataTable({
  rows,
  view,
  nextCursor,
  options,
  zone,
}: {
  rows: AuditRow[];
  view: TimelineView;
  nextCursor: string | null;
  options: ToolbarOptions;
  /** The display zone (UTC unless the viewer chose theirs). */
  zone: string;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [shown, setShown] = useOptimistic(view);
  // The view most recently asked for, so quick successive changes build on each other.
  const latest = useRef(view);
  useEffect(() => {
    latest.current = view;
  }, [view]);

  const navigate = useCallback<Navigate>(
    (change) => {
      const next = change(latest.current);
      latest.current = next;
      startTransition(() => {
        setShown(next);
        router.replace(timelineHref(next), { scroll: false });
      });
    },
    [router, setShown],
  );

  const sorting: SortingState = [{ id: shown.sort, desc: shown.dir === "desc" }];
  const onSortingChange = (updater: Updater<SortingState>) => {
    const [first] = typeof updater === "function" ? updater(sorting) : updater;
    if (!first) return;
    navigate((v) => ({ ...v, sort: first.id as SortKey, dir: first.desc ? "desc" : "asc", after: undefined }));
  };

  const filterQuery = filterParams(view.filters).toString();
  const columns = useMemo(() => auditColumns({ zone, filterQuery }), [zone, filterQuery]);

  // TanStack Table hands back functions that must not be memoized across renders.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => String(row.id),
    manualPagination: true,
    manualSorting: true,
    manualFiltering: true,
    enableSortingRemoval: false,
    enableMultiSort: false,
    state: { sorting },
    onSortingChange,
  });

  const filtered = hasFilters(shown.filters);
  return (
    <div className="space-y-4">
      <DataTableToolbar view={shown} navigate={navigate} options={options} />
      {/* Scrolls sideways on narrow screens: focusable and named, and `relative` so the headers'
          screen-reader text (absolutely positioned) stays inside it instead of widening the page. */}
      <div
        role="region"
        aria-label="Audit events table"
        tabIndex={0}
        className={`relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm transition-opacity focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 ${pending ? "opacity-60" : ""}`}
        aria-busy={pending}
      >
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="audit-table">
          <caption className="sr-only">
            Audit events{filtered ? " matching the filters" : ""}, sorted by {shown.sort}{" "}
            {shown.dir === "asc" ? "ascending" : "descending"}. Each row opens the event.
          </caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      className="whitespace-nowrap px-2.5 py-2.5 first:pl-4 last:pr-4"
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                    >
                      {header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext())}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-slate-100">
            {table.getRowModel().rows.length > 0 ? (
              table.getRowModel().rows.map((row) => (
                <tr
                  key={row.id}
                  data-testid="audit-row"
                  data-event-id={row.original.event_id}
                  className="relative align-top hover:bg-slate-50 focus-within:bg-indigo-50/60 focus-within:outline-2 focus-within:-outline-offset-2 focus-within:outline-indigo-600"
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-2.5 py-2.5 first:pl-4 last:pr-4" data-column={cell.column.id}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={columns.length} className="px-4 py-14 text-center" data-testid="audit-empty">
                  <p className="font-medium text-slate-900">
                    {filtered ? "No events match these filters" : shown.after ? "No more events" : "No events yet"}
                  </p>
                  <p className="mt-1 text-sm text-slate-600">
                    {filtered
                      ? "Widen the time range or clear a filter to see more."
                      : shown.after
                        ? "This was the last page."
                        : "Events appear here as requests are filed and decided."}
                  </p>
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <DataTablePagination view={shown} rowCount={rows.length} nextCursor={nextCursor} navigate={navigate} />
    </div>
  );
}
