"use client";
// The Requests table. Server-driven: the rows are one keyset page the server filtered; the
// toolbar and the page links only rewrite the URL. The table sits in a region that scrolls
// sideways when the screen is narrower than it (keyboard-focusable, named), never clipped.
import { flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useTransition } from "react";
import { requestsHref, type RequestFilterKey, type RequestFilters } from "@/lib/requests/list-filter";
import { requestColumns, type RequestRow } from "./columns";
import { DataTableToolbar, type RequestToolbarOptions } from "./data-table-toolbar";

const linkClass =
  "inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-xs hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600";
const disabledClass =
  "inline-flex cursor-not-allowed items-center gap-1 rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 text-sm font-medium text-slate-500";

export function RequestsTable({
  rows,
  filters,
  options,
  page,
  zone,
}: {
  rows: RequestRow[];
  filters: RequestFilters;
  options: RequestToolbarOptions;
  page: { total: number; first: number; older: string | null; newer: string | null };
  zone: string;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const columns = useMemo(() => requestColumns(zone), [zone]);

  // The filters most recently asked for, so quick successive changes build on each other rather
  // than on the page still on screen.
  const latest = useRef(filters);
  useEffect(() => {
    latest.current = filters;
  }, [filters]);
  const onChange = (key: RequestFilterKey | null, value: string) => {
    const next: RequestFilters = key === null ? {} : { ...latest.current, [key]: value || undefined };
    latest.current = next;
    startTransition(() => router.replace(requestsHref(next), { scroll: false }));
  };

  // TanStack Table hands back functions that must not be memoized across renders.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.id,
    manualPagination: true,
    manualFiltering: true,
  });

  const filtered = Object.values(filters).some(Boolean);
  const last = page.first + rows.length - 1;
  return (
    <div className="space-y-4">
      <DataTableToolbar filters={filters} options={options} onChange={onChange} />
      <div
        role="region"
        aria-label="Requests table"
        tabIndex={0}
        data-testid="requests-scroll"
        aria-busy={pending}
        className={`relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm transition-opacity focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 ${pending ? "opacity-60" : ""}`}
      >
        <table className="w-full divide-y divide-slate-200 text-sm" data-testid="requests-table">
          <caption className="sr-only">Requests{filtered ? " matching the filters" : ""}, newest first.</caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => (
                  <th key={header.id} scope="col" className="whitespace-nowrap px-3 py-2.5 first:pl-4 last:pr-4">
                    {header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext())}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-slate-100">
            {table.getRowModel().rows.length > 0 ? (
              table.getRowModel().rows.map((row) => (
                <tr key={row.id} data-testid="request-row" data-request-id={row.id} className="align-top hover:bg-slate-50">
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-3 py-3 first:pl-4 last:pr-4" data-column={cell.column.id}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={columns.length} className="px-4 py-14 text-center" data-testid="requests-empty">
                  <p className="font-medium text-slate-900">{filtered ? "No requests match these filters" : "No requests yet"}</p>
                  <p className="mt-1 text-sm text-slate-600">
                    {filtered ? (
                      "Clear a filter to see more."
                    ) : (
                      <>
                        Agents file them through <code className="font-mono">POST /api/v1/requests</code>.
                      </>
                    )}
                  </p>
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
        <p data-testid="requests-summary">
          {page.total === 0
            ? "No requests"
            : `${page.first}–${last} of ${page.total.toLocaleString("en")} ${page.total === 1 ? "request" : "requests"}`}
          {filtered ? " matching the filters" : ""}, newest first.
        </p>
        <div className="flex flex-wrap items-center gap-3">
          {page.newer ? (
            <Link href={requestsHref(filters, { before: page.newer })} className={linkClass} prefetch={false}>
              <span aria-hidden>‹</span> Newer
            </Link>
          ) : (
            <span aria-disabled="true" className={disabledClass}>
              <span aria-hidden>‹</span> Newer
            </span>
          )}
          {page.older ? (
            <Link href={requestsHref(filters, { after: page.older })} className={linkClass} prefetch={false}>
              Older <span aria-hidden>›</span>
            </Link>
          ) : (
            <span aria-disabled="true" className={disabledClass}>
              Older <span aria-hidden>›</span>
            </span>
          )}
        </div>
      </nav>
    </div>
  );
}
