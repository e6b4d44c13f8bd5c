import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { RetrospectiveReviews } from "@/components/break-glass/retrospective-reviews";
import { InboxFilters } from "@/components/console/inbox-filters";
import { LiveRefresh } from "@/components/console/live-refresh";
import { TimeLeft } from "@/components/console/time-left";
import { RiskBadge } from "@/components/status-badge";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { inboxQuery, listInbox } from "@/lib/requests/inbox";

export const metadata: Metadata = { title: "Inbox" };

export default async function InboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const viewer = assertCan(await getViewer(), "read");
  const raw = await searchParams;
  const query = inboxQuery.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  const inbox = await listInbox(viewer, query);
  const decidable = inbox.items.filter((i) => i.decidable).length;
  const filtered = Boolean(query.risk || query.environment || query.agent || query.action);
  const nextHref = inbox.nextCursor ? `/?${new URLSearchParams({ ...stripUndefined(query), after: inbox.nextCursor })}` : null;

  return (
    <section aria-labelledby="inbox-title">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 id="inbox-title" className="text-2xl font-semibold tracking-tight">
            Inbox
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            {inbox.total} pending {inbox.total === 1 ? "request" : "requests"}
            {filtered ? " match these filters" : ""}; {decidable} on this page you can decide. Riskiest and newest first.
          </p>
        </div>
        <LiveRefresh />
      </div>
      <div className="mt-5">
        <RetrospectiveReviews viewer={viewer} />
      </div>
      <div className="mt-5">
        <Suspense>
          <InboxFilters
            facets={inbox.facets}
            values={{ risk: query.risk, environment: query.environment, agent: query.agent, action: query.action }}
          />
        </Suspense>
      </div>

      {inbox.items.length === 0 ? (
        <div className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center">
          <p className="font-medium">{filtered ? "Nothing matches these filters." : "Inbox zero."}</p>
          <p className="mt-1 text-sm text-slate-600">
            {filtered ? "Clear a filter to see more." : "No request is waiting for a decision. New ones appear here live."}
          </p>
        </div>
      ) : (
        <ul className="mt-6 divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
          {inbox.items.map((r) => (
            <li
              key={r.id}
              data-testid="inbox-item"
              data-request-id={r.id}
              className="relative px-4 py-4 hover:bg-slate-50 has-[a:focus-visible]:z-10 has-[a:focus-visible]:outline-3 has-[a:focus-visible]:-outline-offset-3 has-[a:focus-visible]:outline-indigo-600"
            >
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                    <Link
                      href={`/requests/${r.id}`}
                      className="font-mono text-sm font-semibold text-slate-900 after:absolute after:inset-0 focus-visible:outline-none focus-visible:after:outline-2 focus-visible:after:-outline-offset-2 focus-visible:after:outline-indigo-600"
                    >
                      {r.action}
                    </Link>
                    <RiskBadge level={r.risk.level} score={r.risk.score} />
                    <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{r.environment}</span>
                  </div>
                  <p className="mt-1 line-clamp-2 text-sm text-slate-700">{r.intent}</p>
                  <p className="mt-1 text-xs text-slate-500">
                    {r.agent.name} · {r.resource}
                  </p>
                </div>
                <div className="flex shrink-0 flex-col items-end gap-1 text-xs">
                  <span className="font-medium text-slate-700" data-testid="approvals">
                    {r.approvals.count} of {r.approvals.required} approvals
                  </span>
                  <TimeLeft until={r.decision_deadline} />
                  {r.decidable ? (
                    <span className="rounded-full bg-indigo-50 px-2 py-0.5 font-medium text-indigo-700 ring-1 ring-inset ring-indigo-200">
                      Your decision
                    </span>
                  ) : (
                    <span className="max-w-56 text-right text-slate-500" data-testid="blocked-reason">
                      {r.blockedReason}
                    </span>
                  )}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {nextHref && (
        <div className="mt-4 text-right">
          <Link
            href={nextHref}
            className="rounded text-sm font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            Next page →
          </Link>
        </div>
      )}
    </section>
  );
}

function stripUndefined(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== "after")) as Record<string, string>;
}
