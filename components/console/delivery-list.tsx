// The request page's notification deliveries: one entry per outbox row (event × target) with its
// status, and a table of every attempt. Server component; the data comes from listDeliveries.
import { Pill, type Tone } from "@/components/status-badge";
import { utcLabel } from "@/lib/format/time";
import type { Delivery, DeliveryAttempt, DeliveryStatus } from "@/lib/notify/deliveries";

const STATUS_TONES: Record<DeliveryStatus, Tone> = {
  queued: "slate",
  sending: "sky",
  retrying: "amber",
  delivered: "emerald",
  dead: "rose",
};

/** The receiver's status code when it answered, else the error (network, timeout, …). */
function outcome(a: DeliveryAttempt): string {
  if (a.statusCode !== null) return `HTTP ${a.statusCode}`;
  return a.error ?? (a.ok ? "ok" : "failed");
}

export function DeliveryList({ deliveries, hasCallback }: { deliveries: Delivery[]; hasCallback: boolean }) {
  if (!hasCallback && deliveries.length === 0) {
    return (
      <p className="text-sm text-slate-600" data-testid="no-notifications">
        No notifications: the agent gave no callback_url.
      </p>
    );
  }
  if (deliveries.length === 0) {
    return <p className="text-sm text-slate-600">No notifications yet.</p>;
  }
  return (
    <ol className="space-y-4" data-testid="deliveries">
      {deliveries.map((d) => (
        <li key={d.id} className="text-sm" data-testid="delivery" data-event-id={d.eventId} data-status={d.status}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-mono text-xs font-semibold">{d.eventType}</span>
            <span className="text-slate-600">{d.kind}</span>
            <Pill tone={STATUS_TONES[d.status]} testId="delivery-status">
              {d.status}
            </Pill>
            <span className="text-xs text-slate-600">
              {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
            </span>
          </div>
          <p className="mt-0.5 break-all font-mono text-xs text-slate-600">{d.target}</p>
          {d.status === "retrying" && d.nextAttemptAt && (
            <p className="mt-0.5 text-xs text-slate-700">
              Next attempt <time dateTime={d.nextAttemptAt.toISOString()}>{utcLabel(d.nextAttemptAt)}</time>
            </p>
          )}
          {d.status === "delivered" && d.deliveredAt && (
            <p className="mt-0.5 text-xs text-slate-700">
              Delivered <time dateTime={d.deliveredAt.toISOString()}>{utcLabel(d.deliveredAt)}</time>
            </p>
          )}
          {d.lastError && d.status !== "delivered" && (
            <p className="mt-0.5 text-xs text-rose-700" data-testid="delivery-error">
              Last error: {d.lastError}
            </p>
          )}
          {d.attemptLog.length > 0 && (
            <table className="mt-2 w-full table-fixed text-left text-xs" data-testid="delivery-attempts">
              <caption className="sr-only">Delivery attempts for {d.eventType}</caption>
              <thead className="text-slate-500">
                <tr>
                  <th scope="col" className="w-8 py-1 pr-3 font-medium">
                    #
                  </th>
                  <th scope="col" className="w-44 py-1 pr-3 font-medium">
                    Time
                  </th>
                  <th scope="col" className="py-1 pr-3 font-medium">
                    Result
                  </th>
                  <th scope="col" className="w-20 py-1 text-right font-medium">
                    Duration
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.attemptLog.map((a) => (
                  <tr key={`${a.attempt}:${a.at.getTime()}`} className="border-t border-slate-100">
                    <td className="py-1 pr-3 font-mono">{a.attempt}</td>
                    <td className="py-1 pr-3">
                      <time dateTime={a.at.toISOString()}>{utcLabel(a.at)}</time>
                    </td>
                    <td className={`break-words py-1 pr-3 ${a.ok ? "text-emerald-700" : "text-rose-700"}`}>{outcome(a)}</td>
                    <td className="py-1 text-right font-mono">{a.durationMs} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </li>
      ))}
    </ol>
  );
}
