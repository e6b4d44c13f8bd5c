import type { Metadata } from "next";
import { toRequestRow } from "@/components/requests/columns";
import { RequestsTable } from "@/components/requests/data-table";
import { TimeZoneToggle } from "@/components/console/time-zone-toggle";
import { listAgents } from "@/lib/agents/registry";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { listRequests, requestListFacets } from "@/lib/requests/list";
import { REQUEST_FILTER_KEYS, requestListQuery, type RequestFilters } from "@/lib/requests/list-filter";
import { getDisplayZone } from "../_lib/display-zone";

export const metadata: Metadata = { title: "Requests" };

export default async function RequestsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const viewer = assertCan(await getViewer(), "read");
  const raw = await searchParams;
  const query = requestListQuery.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  const [page, facets, agents, zone] = await Promise.all([listRequests(viewer, query), requestListFacets(viewer), listAgents(viewer), getDisplayZone()]);
  const filters: RequestFilters = Object.fromEntries(REQUEST_FILTER_KEYS.flatMap((k) => (query[k] ? [[k, query[k]]] : [])));

  return (
    <section aria-labelledby="requests-title" className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 id="requests-title" className="text-2xl font-semibold tracking-tight">
            Requests
          </h1>
          <p className="mt-1 text-sm text-slate-600">Every request in every state, newest first. Pending ones to decide are in the inbox.</p>
        </div>
        <TimeZoneToggle zone={zone} />
      </div>
      <RequestsTable
        rows={page.items.map(toRequestRow)}
        filters={filters}
        options={{
          environments: facets.environments,
          agents: agents.map((a) => ({ id: a.id, name: a.name })).sort((a, b) => a.name.localeCompare(b.name)),
        }}
        page={{ total: page.total, first: page.first, older: page.older, newer: page.newer }}
        zone={zone}
      />
    </section>
  );
}
