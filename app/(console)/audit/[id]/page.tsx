import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Outcome, RiskLevel } from "@/components/audit/columns";
import { filterParams, type Filters } from "@/components/audit/timeline-url";
import { Card, Field } from "@/components/console/card";
import { TimeZoneToggle } from "@/components/console/time-zone-toggle";
import { findAgent } from "@/lib/agents/registry";
import { describedFilter, getTimelineEvent, parseTimelineParams, timelineNeighbours } from "@/lib/audit/timeline";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { zonedLabel } from "@/lib/format/time";
import { getDisplayZone } from "../../_lib/display-zone";

export const metadata: Metadata = { title: "Audit event" };

const none = <span className="text-slate-400">—</span>;
const Hash = ({ value, testId }: { value: string | null; testId: string }) =>
  value ? (
    <code data-testid={testId} className="block break-all font-mono text-xs leading-relaxed text-slate-800">
      {value}
    </code>
  ) : (
    <span data-testid={testId} className="text-sm text-amber-700">
      not sealed yet
    </span>
  );

const stepClass =
  "inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-xs hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const stepDisabledClass =
  "inline-flex cursor-not-allowed items-center gap-1 rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 text-sm font-medium text-slate-500";
const filterLinkClass = "text-xs font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600";

const withQuery = (path: string, filters: Filters) => {
  const query = filterParams(filters).toString();
  return query ? `${path}?${query}` : path;
};

export default async function AuditEventPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = assertCan(await getViewer(), "read");
  const { id } = await params;
  if (!/^\d{1,15}$/.test(id)) notFound();
  const event = await getTimelineEvent(viewer, Number(id));
  if (!event) notFound();
  // The timeline's filters ride along from its rows: previous/next step through that view.
  const { query } = parseTimelineParams(await searchParams);
  const filters: Filters = describedFilter(query);
  const filtered = Object.keys(filters).length > 0;
  const [agent, neighbours, zone] = await Promise.all([
    event.agent_id ? findAgent(event.agent_id) : undefined,
    timelineNeighbours(viewer, event, query),
    getDisplayZone(),
  ]);
  const actor = event.actor;
  const paramsHash = typeof event.payload.params_hash === "string" && /^[0-9a-f]{64}$/.test(event.payload.params_hash) ? event.payload.params_hash : null;
  const step = (to: { id: number; seq: number } | null, label: string, arrow: "prev" | "next", testId: string) =>
    to ? (
      <Link href={withQuery(`/audit/${to.id}`, filters)} className={stepClass} data-testid={testId} rel={arrow}>
        {arrow === "prev" && <span aria-hidden>←</span>}
        {label} <span className="font-mono text-xs text-slate-500">#{to.seq}</span>
        {arrow === "next" && <span aria-hidden>→</span>}
      </Link>
    ) : (
      <span aria-disabled="true" className={stepDisabledClass} data-testid={testId}>
        {arrow === "prev" && <span aria-hidden>←</span>}
        {arrow === "prev" ? "No previous event" : "No next event"}
        {arrow === "next" && <span aria-hidden>→</span>}
      </span>
    );

  return (
    <article className="space-y-6">
      <div>
        <div className="flex flex-wrap items-center justify-between gap-3">
          <Link href={withQuery("/audit", filters)} className="text-sm text-indigo-700 hover:underline">
            ← Audit timeline{filtered ? " (filtered)" : ""}
          </Link>
          <TimeZoneToggle zone={zone} />
        </div>
        <h1 className="mt-2 flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
          <span className="font-mono" data-testid="event-type">
            {event.type}
          </span>
          <Outcome outcome={event.outcome} />
        </h1>
        <p className="mt-1 text-sm text-slate-600">
          {event.seq !== null ? <>Audit event #{event.seq}</> : <>Audit event awaiting its place in the chain</>} ·{" "}
          <time dateTime={event.occurred_at} data-testid="event-time">
            {zonedLabel(event.occurred_at, zone)}
          </time>{" "}
          · by {actor.display} via {event.channel}
        </p>
        <nav aria-label="Events in chain order" className="mt-4 flex flex-wrap items-center gap-3">
          {step(neighbours.previous, "Previous event", "prev", "previous-event")}
          {step(neighbours.next, "Next event", "next", "next-event")}
          <p className="text-xs text-slate-500" data-testid="step-scope">
            {event.seq === null
              ? "Not in the chain yet: no previous or next."
              : filtered
                ? `In chain order, among events matching the timeline's filters (${Object.entries(filters)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ")}).`
                : "In chain order, through the whole timeline."}
          </p>
        </nav>
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          <Card title="Event" id="event-fields">
            <dl className="grid gap-4 sm:grid-cols-2">
              <Field label="Event ID" testId="event-id">
                <code className="break-all font-mono text-xs">{event.event_id}</code>
              </Field>
              <Field label="Time (UTC, as recorded)">
                <time dateTime={event.occurred_at}>{event.occurred_at}</time>
              </Field>
              <Field label="Type">
                <span className="font-mono text-xs">{event.type}</span>
              </Field>
              <Field label="Channel">{event.channel}</Field>
              <Field label="Request" testId="event-request">
                {event.request_id ? (
                  <Link href={`/requests/${event.request_id}`} className="break-all font-mono text-xs text-indigo-700 hover:underline">
                    {event.request_id}
                  </Link>
                ) : (
                  none
                )}
              </Field>
              {event.request_id && (
                <Field label="On the timeline">
                  <span className="flex flex-col gap-1">
                    <Link href={`/audit?request=${event.request_id}`} className={filterLinkClass} data-testid="request-events-link">
                      Every event of this request
                    </Link>
                    {paramsHash && (
                      <Link href={`/audit?params_hash=${paramsHash}`} className={filterLinkClass} data-testid="params-hash-events-link">
                        Every request filed with these parameters
                      </Link>
                    )}
                  </span>
                </Field>
              )}
              <Field label="Agent">
                {event.agent_id ? (
                  <>
                    {agent?.name ?? "unknown agent"} <code className="block break-all font-mono text-xs text-slate-500">{event.agent_id}</code>
                  </>
                ) : (
                  none
                )}
              </Field>
              <Field label="Action">{event.action ? <span className="font-mono text-xs">{event.action}</span> : none}</Field>
              <Field label="Environment">{event.environment ?? none}</Field>
              <Field label="Risk level">
                <RiskLevel level={event.risk_level} />
              </Field>
              <Field label="Outcome">
                <Outcome outcome={event.outcome} />
              </Field>
            </dl>
          </Card>
          <Card title="Payload" id="event-payload">
            <pre
              data-testid="event-payload"
              tabIndex={0}
              aria-label="Payload as JSON"
              className="max-h-[32rem] overflow-auto rounded-md bg-slate-900 p-4 font-mono text-xs leading-relaxed text-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {JSON.stringify(event.payload, null, 2)}
            </pre>
          </Card>
        </div>

        <div className="min-w-0 space-y-6">
          <Card title="Actor at the time" id="event-actor">
            <dl className="space-y-3">
              <Field label="Name">{actor.display}</Field>
              <Field label="Kind">{actor.kind}</Field>
              <Field label="ID">
                <span className="break-all font-mono text-xs">{actor.id}</span>
              </Field>
              <Field label="Identity provider" testId="actor-idp">
                {actor.idp ?? none}
              </Field>
              <Field label="Groups" testId="actor-groups">
                {actor.groups && actor.groups.length > 0 ? (
                  <ul className="flex flex-wrap gap-1.5">
                    {actor.groups.map((g) => (
                      <li key={g} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                        {g}
                      </li>
                    ))}
                  </ul>
                ) : (
                  none
                )}
              </Field>
            </dl>
          </Card>
          <Card title="Hash chain" id="event-chain">
            <dl className="space-y-3">
              <Field label="Sequence" testId="event-seq">
                {event.seq !== null ? `#${event.seq}` : <span className="text-amber-700">awaiting the sealer</span>}
              </Field>
              <Field label="Previous hash">
                <Hash value={event.prev_hash} testId="event-prev-hash" />
              </Field>
              <Field label="Hash">
                <Hash value={event.hash} testId="event-hash" />
              </Field>
            </dl>
            <p className="mt-4 text-xs text-slate-500">
              The hash covers this event&rsquo;s canonical JSON and the previous hash; the README explains how to recompute it.
            </p>
          </Card>
        </div>
      </div>
    </article>
  );
}
