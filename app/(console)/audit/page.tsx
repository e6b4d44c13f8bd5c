import type { Metadata } from "next";
import Link from "next/link";
import { ChainStatusBadge } from "@/components/audit/chain-status-badge";
import { toAuditRow } from "@/components/audit/columns";
import { DataTable } from "@/components/audit/data-table";
import { timelineHref, type TimelineView } from "@/components/audit/timeline-url";
import { listAgents } from "@/lib/agents/registry";
import { getChainStatus } from "@/lib/audit/chain-status";
import { TimeZoneToggle } from "@/components/console/time-zone-toggle";
import { describedFilter, listTimeline, parseTimelineParams, timelineFacets } from "@/lib/audit/timeline";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { zoneName } from "@/lib/format/time";
import { getDisplayZone } from "../_lib/display-zone";

export const metadata: Metadata = { title: "Audit" };

type RawParams = Record<string, string | string[] | undefined>;

export default async function AuditPage({ searchParams }: { searchParams: Promise<RawParams> }) {
  const viewer = assertCan(await getViewer(), "read");
  const { query, ignored } = parseTimelineParams(await searchParams);
  const [page, facets, chain, agents, zone] = await Promise.all([
    listTimeline(viewer, query),
    timelineFacets(viewer),
    getChainStatus(),
    listAgents(viewer),
    getDisplayZone(),
  ]);

  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const view: TimelineView = { filters: describedFilter(query), sort: query.sort, dir: query.dir, limit: query.limit, after: query.after };

  return (
    <section aria-labelledby="audit-title" className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 id="audit-title" className="text-2xl font-semibold tracking-tight">
            Audit timeline
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            Every request, decision, agent change and sign-in, hash-chained in the order it happened. Times in {zoneName(zone)}
            {zone === "UTC" ? "" : " (exports stay in UTC)"}.
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <TimeZoneToggle zone={zone} />
          <ChainStatusBadge status={chain} />
        </div>
      </div>

      {ignored.length > 0 && (
        <div role="alert" data-testid="ignored-params" className="rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          <p className="font-medium">Some of this link&rsquo;s filters were not understood and are ignored:</p>
          <ul className="mt-1 list-inside list-disc">
            {ignored.map((i) => (
              <li key={`${i.key}:${i.message}`}>
                <code className="font-mono">{i.key}</code>: {i.message}
              </li>
            ))}
          </ul>
          <Link href={timelineHref(view)} className="mt-2 inline-block font-medium text-amber-900 underline">
            Show the link without them
          </Link>
        </div>
      )}

      <DataTable
        rows={page.events.map((e) => toAuditRow(e, agentNames))}
        view={view}
        nextCursor={page.nextCursor}
        zone={zone}
        options={{
          types: facets.types,
          environments: facets.environments,
          outcomes: facets.outcomes,
          agents: agents.map((a) => ({ id: a.id, name: a.name })).sort((a, b) => a.name.localeCompare(b.name)),
          canExport: can(viewer, "export_audit"),
        }}
      />
    </section>
  );
}
