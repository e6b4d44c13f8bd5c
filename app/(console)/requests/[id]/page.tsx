import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Card, Field } from "@/components/console/card";
import { ContextView } from "@/components/console/context-view";
import { DeliveryList } from "@/components/console/delivery-list";
import { LiveRefresh } from "@/components/console/live-refresh";
import { TimeLeft } from "@/components/console/time-left";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import { BreakGlassBadge } from "@/components/break-glass/break-glass-badge";
import { BreakGlassPanel } from "@/components/break-glass/break-glass-panel";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { listDeliveries } from "@/lib/notify/deliveries";
import { getActivePolicy } from "@/lib/policy/load";
import { ballotOf, voteRefusal } from "@/lib/requests/eligibility";
import { getRequestDetail } from "@/lib/requests/read";
import { isUuid } from "@/lib/vocabulary";
import { reauthenticateAction } from "./reauthenticate";
import { DecisionForm } from "./decision-form";

export const metadata: Metadata = { title: "Request" };

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const viewer = assertCan(await getViewer(), "read");
  const { id } = await params;
  if (!isUuid(id)) notFound();
  const detail = await getRequestDetail(viewer, id.toLowerCase());
  if (!detail) notFound();
  const { view: r, events } = detail;
  const mayDecide = can(viewer, "decide");
  const [policy, deliveries] = await Promise.all([getActivePolicy(), listDeliveries(viewer, r.id)]);
  // Each decision has its own refusals (an agent's owner may deny, never approve), as in decideRequest.
  const ballot = ballotOf(r);
  const approveRefusal = mayDecide ? voteRefusal(policy, viewer, ballot, "approve") : null;
  const blocked = mayDecide ? { approve: approveRefusal?.message ?? null, deny: voteRefusal(policy, viewer, ballot, "deny")?.message ?? null } : null;
  // Step-up: the one refusal a reviewer can lift themselves, by signing in again at the provider.
  const needsStepUp = approveRefusal?.code === "step_up_required";

  return (
    <article className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <Link href="/" className="text-sm text-indigo-700 hover:underline">
            ← Inbox
          </Link>
          <h1 className="mt-2 flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
            <span className="font-mono">{r.action}</span>
            <StatusBadge status={r.status} />
            <BreakGlassBadge glass={r.break_glass} />
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            {r.agent.name} → <span className="font-mono">{r.resource}</span> in <strong>{r.environment}</strong>
          </p>
        </div>
        <LiveRefresh requestId={r.id} />
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="Intent (as stated by the agent)" id="intent">
            <blockquote className="whitespace-pre-wrap border-l-4 border-slate-200 pl-4 text-sm text-slate-800" data-testid="intent">
              {r.intent}
            </blockquote>
          </Card>
          <Card title="Parameters" id="params">
            <ContextView context={r.context} />
            <p className="mt-3 text-xs text-slate-500">
              params_hash <code className="break-all font-mono text-slate-700">{r.params_hash}</code>
            </p>
          </Card>
          <Card title="History" id="history">
            <ol className="space-y-3" data-testid="history">
              {events.map((e) => (
                <li key={e.id} className="flex gap-3 text-sm">
                  <span aria-hidden className="mt-1.5 size-2 shrink-0 rounded-full bg-slate-400" />
                  <div>
                    <p>
                      <span className="font-mono text-xs font-semibold">{e.type}</span>{" "}
                      <span className="text-slate-600">
                        by {e.actor.display} via {e.channel}
                      </span>
                    </p>
                    {typeof e.payload.note === "string" && e.payload.note && (
                      <p className="mt-0.5 text-slate-700">“{e.payload.note}”</p>
                    )}
                    <p className="text-xs text-slate-500">
                      <time dateTime={e.occurredAt.toISOString()}>{utcLabel(e.occurredAt)}</time>
                      {e.seq !== null ? ` · audit #${e.seq}` : " · sealing…"}
                    </p>
                  </div>
                </li>
              ))}
            </ol>
          </Card>
          <Card title="Notifications" id="notifications">
            <DeliveryList deliveries={deliveries} hasCallback={r.callback_url !== null} />
          </Card>
        </div>

        <div className="space-y-6">
          <BreakGlassPanel request={r} viewer={viewer} />
          <Card title="Decision" id="decision">
            <p className="text-sm text-slate-700" data-testid="approval-progress">
              {r.approvals.count} of {r.approvals.required} approvals
              {r.status === "pending" && (
                <>
                  {" "}
                  · <TimeLeft until={r.decision_deadline} />
                </>
              )}
            </p>
            {r.reviews.length > 0 && (
              <ul className="mt-3 space-y-2 text-sm">
                {r.reviews.map((v) => (
                  <li key={v.reviewer}>
                    <span className={v.decision === "approve" ? "text-emerald-700" : "text-rose-700"}>
                      {v.decision === "approve" ? "Approved" : "Denied"}
                    </span>{" "}
                    by {v.name} <span className="text-slate-500">({v.channel})</span>
                    {v.note && <p className="text-slate-600">“{v.note}”</p>}
                  </li>
                ))}
              </ul>
            )}
            <div className="mt-4">
              {needsStepUp && (
                <form action={reauthenticateAction} className="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3" data-testid="step-up">
                  <input type="hidden" name="requestId" value={r.id} />
                  <p className="text-sm text-amber-900">
                    This rule asks for a sign-in within the last 5 minutes before anyone approves. Your identity provider will ask
                    you to authenticate again, then you come back here.
                  </p>
                  <button className="mt-2 rounded-md bg-amber-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-amber-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-700">
                    Re-authenticate to approve
                  </button>
                </form>
              )}
              {blocked ? (
                <DecisionForm requestId={r.id} approveBlocked={blocked.approve} denyBlocked={blocked.deny} />
              ) : (
                <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600" data-testid="read-only">
                  Read-only: your role ({viewer.roles.join(", ")}) does not decide requests.
                </p>
              )}
            </div>
          </Card>
          <Card title="Risk" id="risk">
            <RiskBadge level={r.risk.level} score={r.risk.score} />
            <ul className="mt-3 space-y-1.5 text-sm">
              {r.risk.reasons.map((reason) => (
                <li key={reason.code} className="flex justify-between gap-3">
                  <span className="text-slate-700">{reason.message}</span>
                  <span className="shrink-0 font-mono text-xs text-slate-500">+{reason.points}</span>
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Why approval is needed" id="policy">
            <p className="text-sm text-slate-700">{r.policy.explanation}</p>
            <dl className="mt-3 space-y-2">
              <Field label="Rule">{r.policy.rule}</Field>
              <Field label="Who may approve">{r.policy.approver_groups.join(", ") || "—"}</Field>
              <Field label="Policy hash">
                <code className="break-all font-mono text-xs">{r.policy.hash}</code>
              </Field>
            </dl>
          </Card>
          <Card title="Agent and origin" id="agent">
            <dl className="space-y-2">
              <Field label="Agent">{r.agent.name}</Field>
              <Field label="Owner">{r.agent.owner}</Field>
              <Field label="On behalf of">{r.on_behalf_of ?? "—"}</Field>
              {Object.entries(r.origin).map(([k, v]) => (
                <Field key={k} label={k.replace("_", " ")}>
                  <span className="font-mono text-xs">{String(v)}</span>
                </Field>
              ))}
              <Field label="Filed">{utcLabel(r.created_at)}</Field>
              {r.grant_expires_at && <Field label="Grant expires">{utcLabel(r.grant_expires_at)}</Field>}
            </dl>
          </Card>
        </div>
      </div>
    </article>
  );
}
