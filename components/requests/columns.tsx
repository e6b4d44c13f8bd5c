// Columns of the Requests list. Filtering and paging are the server's (the URL); the columns only
// lay a row out so seven of them fit the console's width at 1440 px, and wrap rather than clip.
import type { ColumnDef } from "@tanstack/react-table";
import Link from "next/link";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import { zoned, zoneName } from "@/lib/format/time";
import type { RequestView } from "@/lib/requests/schema";

/** What the table needs of a request (no context, policy or reviews: those are on its page). */
export type RequestRow = Pick<RequestView, "id" | "action" | "resource" | "environment" | "intent" | "status" | "risk" | "approvals" | "created_at"> & {
  agent: { id: string; name: string };
};

export const toRequestRow = (r: RequestView): RequestRow => ({
  id: r.id,
  action: r.action,
  resource: r.resource,
  environment: r.environment,
  intent: r.intent,
  status: r.status,
  risk: { score: r.risk.score, level: r.risk.level, reasons: [] },
  approvals: r.approvals,
  created_at: r.created_at,
  agent: { id: r.agent.id, name: r.agent.name },
});

/** Dotted names may wrap after a dot when the column runs out of width. */
function Dotted({ text }: { text: string }) {
  const parts = text.split(".");
  return parts.map((part, i) => (
    <span key={i}>
      {part}
      {i < parts.length - 1 && (
        <>
          .<wbr />
        </>
      )}
    </span>
  ));
}

export const requestColumns = (zone: string): ColumnDef<RequestRow>[] => [
  {
    id: "action",
    header: "Action",
    cell: ({ row }) => (
      <div className="min-w-48 max-w-sm">
        <Link
          href={`/requests/${row.original.id}`}
          className="rounded font-mono text-xs font-semibold text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          <Dotted text={row.original.action} />
        </Link>
        <div className="mt-0.5 break-all font-mono text-xs text-slate-500">{row.original.resource}</div>
        <div className="mt-1 line-clamp-2 break-words text-slate-600">{row.original.intent}</div>
      </div>
    ),
  },
  { id: "agent", header: "Agent", cell: ({ row }) => <span className="break-words text-slate-700">{row.original.agent.name}</span> },
  { id: "environment", header: "Environment", cell: ({ row }) => <span className="break-words text-slate-700">{row.original.environment}</span> },
  { id: "risk", header: "Risk", cell: ({ row }) => <RiskBadge level={row.original.risk.level} score={row.original.risk.score} /> },
  {
    id: "approvals",
    header: "Approvals",
    cell: ({ row }) => (
      <span className="whitespace-nowrap text-slate-700">
        {row.original.approvals.required === 0 ? "—" : `${row.original.approvals.count} of ${row.original.approvals.required}`}
      </span>
    ),
  },
  { id: "status", header: "Status", cell: ({ row }) => <StatusBadge status={row.original.status} /> },
  {
    id: "filed",
    header: `Filed (${zoneName(zone)})`,
    cell: ({ row }) => (
      <time dateTime={row.original.created_at} className="whitespace-nowrap text-slate-500" data-testid="request-filed">
        {zoned(row.original.created_at, zone, "minutes")}
      </time>
    ),
  },
];
