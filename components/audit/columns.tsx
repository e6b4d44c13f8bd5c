// Columns of the audit timeline. Sorting is done by the server (the header only asks for it); each
// row's time is the link that opens the event, stretched over the whole row. No hooks and no
// "use client": the client table renders these, and the server pages reuse the row mapping and badges.
import type { Column, ColumnDef } from "@tanstack/react-table";
import Link from "next/link";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import type { TimelineEvent } from "@/lib/audit/timeline";
import { zoned, zoneName } from "@/lib/format/time";

/** What the table needs of an event: no payload or hashes (those are on the event page). */
export type AuditRow = Pick<
  TimelineEvent,
  "id" | "seq" | "event_id" | "occurred_at" | "type" | "channel" | "request_id" | "agent_id" | "action" | "environment" | "risk_level" | "outcome"
> & {
  actor: { kind: string; id: string; display: string };
  agent_name: string | null;
};

export const toAuditRow = (e: TimelineEvent, agentNames: ReadonlyMap<string, string>): AuditRow => ({
  id: e.id,
  seq: e.seq,
  event_id: e.event_id,
  occurred_at: e.occurred_at,
  type: e.type,
  actor: { kind: e.actor.kind, id: e.actor.id, display: e.actor.display },
  channel: e.channel,
  request_id: e.request_id,
  agent_id: e.agent_id,
  agent_name: e.agent_id ? (agentNames.get(e.agent_id) ?? null) : null,
  action: e.action,
  environment: e.environment,
  risk_level: e.risk_level,
  outcome: e.outcome,
});

const none = <span className="text-slate-400">—</span>;

/** Dotted names (types, actions) may wrap after a dot when the table runs out of width. */
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

function SortableHeader({ column, title }: { column: Column<AuditRow, unknown>; title: string }) {
  const sorted = column.getIsSorted();
  return (
    <button
      type="button"
      onClick={column.getToggleSortingHandler()}
      className="-mx-1.5 inline-flex items-center gap-1 rounded px-1.5 py-0.5 uppercase tracking-wide hover:bg-slate-200/60 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      {title}
      <span aria-hidden className={`text-[10px] ${sorted ? "text-slate-900" : "text-slate-400"}`}>
        {sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}
      </span>
      <span className="sr-only">
        {sorted ? `, sorted ${sorted === "asc" ? "ascending" : "descending"}` : ", sortable"}
      </span>
    </button>
  );
}

export function RiskLevel({ level }: { level: string | null }) {
  return level ? <RiskBadge level={level} /> : none;
}

export function Outcome({ outcome }: { outcome: string | null }) {
  return outcome ? <StatusBadge status={outcome} /> : none;
}

/**
 * The columns for a display zone (UTC or the viewer's chosen zone) and the timeline's filters as a
 * query string, which each event link carries so the event page's previous/next stay in the view.
 */
export const auditColumns = ({ zone, filterQuery }: { zone: string; filterQuery: string }): ColumnDef<AuditRow>[] => [
  {
    id: "time",
    accessorKey: "occurred_at",
    enableSorting: true,
    sortDescFirst: true,
    header: ({ column }) => <SortableHeader column={column} title={`Time (${zoneName(zone)})`} />,
    cell: ({ row }) => (
      <Link
        href={`/audit/${row.original.id}${filterQuery ? `?${filterQuery}` : ""}`}
        prefetch={false}
        className="block whitespace-nowrap font-mono text-xs after:absolute after:inset-0 hover:underline focus-visible:outline-none"
      >
        <time dateTime={row.original.occurred_at} data-testid="event-time">
          <span className="block font-semibold text-indigo-700">{zoned(row.original.occurred_at, zone).slice(11)}</span>
          <span className="block text-slate-500">{zoned(row.original.occurred_at, zone).slice(0, 10)}</span>
        </time>
        <span className="sr-only"> — open event {row.original.seq !== null ? `#${row.original.seq}` : row.original.event_id}</span>
      </Link>
    ),
  },
  {
    id: "type",
    accessorKey: "type",
    enableSorting: true,
    header: ({ column }) => <SortableHeader column={column} title="Type" />,
    cell: ({ row }) => (
      <span className="font-mono text-xs font-semibold text-slate-800">
        <Dotted text={row.original.type} />
      </span>
    ),
  },
  {
    id: "actor",
    accessorFn: (r) => r.actor.id,
    enableSorting: true,
    header: ({ column }) => <SortableHeader column={column} title="Actor" />,
    cell: ({ row }) => {
      const a = row.original.actor;
      return (
        <div className="max-w-40">
          <div className="truncate font-medium text-slate-900" title={a.display}>
            {a.display}
          </div>
          {a.kind === "user" && a.id !== a.display && (
            <div className="truncate text-xs text-slate-500" title={a.id}>
              {a.id}
            </div>
          )}
          {a.kind !== "user" && <div className="text-xs text-slate-500">{a.kind}</div>}
        </div>
      );
    },
  },
  {
    id: "channel",
    accessorKey: "channel",
    enableSorting: true,
    header: ({ column }) => <SortableHeader column={column} title="Channel" />,
    cell: ({ row }) => <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{row.original.channel}</span>,
  },
  {
    id: "agent",
    accessorKey: "agent_name",
    enableSorting: false,
    header: "Agent",
    cell: ({ row }) =>
      row.original.agent_id ? (
        <span className="whitespace-nowrap text-slate-700" title={row.original.agent_id}>
          {row.original.agent_name ?? `${row.original.agent_id.slice(0, 8)}…`}
        </span>
      ) : (
        none
      ),
  },
  {
    id: "action",
    accessorKey: "action",
    enableSorting: false,
    header: "Action",
    cell: ({ row }) =>
      row.original.action ? (
        <span className="font-mono text-xs text-slate-800">
          <Dotted text={row.original.action} />
        </span>
      ) : (
        none
      ),
  },
  {
    id: "environment",
    accessorKey: "environment",
    enableSorting: false,
    header: "Environment",
    cell: ({ row }) => (row.original.environment ? <span className="text-slate-700">{row.original.environment}</span> : none),
  },
  {
    id: "risk",
    accessorKey: "risk_level",
    enableSorting: false,
    header: "Risk",
    cell: ({ row }) => <RiskLevel level={row.original.risk_level} />,
  },
  {
    id: "outcome",
    accessorKey: "outcome",
    enableSorting: false,
    header: "Outcome",
    cell: ({ row }) => <Outcome outcome={row.original.outcome} />,
  },
];
