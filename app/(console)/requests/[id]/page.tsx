import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { Card, Field } from "@/components/console/card";
import { WorkloadOrigin } from "@/components/requests/workload-origin";
import { DeliveryList } from "@/components/console/delivery-list";
import { LiveRefresh } from "@/components/console/live-refresh";
import { RequestParameters } from "@/components/console/request-parameters";
import { TimeLeft } from "@/components/console/time-left";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import { BreakGlassBadge } from "@/components/break-glass/break-glass-badge";
import { BreakGlassPanel } from "@/components/break-glass/break-glass-panel";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { listDeliveries } from "@/lib/notify/deliveries";
import { referenceLink } from "@/lib/policy/links";
import { getActivePolicy } from "@/lib/policy/load";
import { LINK_FIELDS, type LinkField } from "@/lib/policy/types";
import { ballotOf, voteRefusal } from "@/lib/requests/eligibility";
import { getRequestDetail } from "@/lib/requests/read";
import { isUuid } from "@/lib/vocabulary";
import { reauthenticateAction } from "./reauthenticate";
import { DecisionPanel } from "./decision-panel";
import { OutcomeSummary } from "./outcome-summary";

// The page and its title read the same request once per render.
const loadRequest = cache(async (id: string) => {
  const viewer = assertCan(await getViewer(), "read");
  if (!isUuid(id)) return null;
  const detail = await getRequestDetail(viewer, id.toLowerCase());
  return detail ? { viewer, ...detail } : null;
});

/** `db.migrate on orders`: tabs and history entries tell requests apart. Says nothing to a viewer who may not read it. */
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const viewer = await getViewer();
  if (!viewer || !can(viewer, "read")) return { title: "Request" };
  const found = await loadRequest((await params).id);
  return { title: found ? `${found.view.action} on ${found.view.resource}` : "No such request" };
}

/** Approving these asks for a confirmation that restates what is approved. */
const CONFIRMED_RISKS = new Set(["high", "critical"]);

const POLICY_TITLES = {
  require_approval: "Why approval is needed",
  auto_approve: "Why no approval was needed",
  deny: "Why it is refused",
} as const;

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const found = await loadRequest((await params).id);
  if (!found) notFound();
  const { viewer, view: r, events } = found;
  const mayDecide = can(viewer, "decide");
  const [policy, deliveries] = await Promise.all([getActivePolicy(), listDeliveries(viewer, r.id)]);
  // Each decision has its own refusals (an agent's owner may deny, never approve), as in decideRequest.
  const ballot = ballotOf(r);
  const open = r.status === "pending";
  const approveRefusal = mayDecide && open ? voteRefusal(policy, viewer, ballot, "approve") : null;
  const refusals =
    mayDecide && open ? { approveBlocked: approveRefusal?.message ?? null, denyBlocked: voteRefusal(policy, viewer, ballot, "deny")?.message ?? null } : null;
  // Step-up: the one refusal a reviewer can lift themselves, by signing in again at the provider.
  const needsStepUp = approveRefusal?.code === "step_up_required";
  const confirm = CONFIRMED_RISKS.has(r.risk.level)
    ? { risk: r.risk.level, action: r.action, resource: r.resource, environment: r.environment, paramsHash: r.params_hash }
    : null;
  const cancelled = events.find((e) => e.type === "request.cancelled");
  const cancelReason = typeof cancelled?.payload.reason === "string" ? cancelled.payload.reason : null;
  const needsApproval = r.policy.decision === "require_approval";

  const progress = (
    <>
      <p className="text-sm text-slate-700" data-testid="approval-progress">
        {r.approvals.count} of {r.approvals.required} approvals · <TimeLeft until={r.decision_deadline} />
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
      {needsStepUp && (
        <form action={reauthenticateAction} className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3" data-testid="step-up">
          <input type="hidden" name="requestId" value={r.id} />
          <p className="text-sm text-amber-900">
            This rule asks for a sign-in within the last 5 minutes before anyone approves. Your identity provider will ask you
            to authenticate again, then you come back here.
          </p>
          <button className="mt-2 rounded-md bg-amber-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-amber-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-700">
            Re-authenticate to approve
          </button>
        </form>
      )}
    </>
  );

  return (
    <article className="min-w-0 space-y-6 wrap-anywhere">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <Link href="/" className="text-sm text-indigo-700 hover:underline">
            ← Inbox
          </Link>
          <h1 className="mt-2 flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
            <span className="min-w-0 font-mono wrap-anywhere">{r.action}</span>
            <StatusBadge status={r.status} />
            <BreakGlassBadge glass={r.break_glass} />
          </h1>
          <dl className="mt-2 flex flex-wrap gap-x-6 gap-y-2" data-testid="request-summary">
            <Field label="Resource">
              <span className="font-mono wrap-anywhere">{r.resource}</span>
            </Field>
            <Field label="Environment">
              <strong>{r.environment}</strong>
            </Field>
            <Field label="Risk">
              <RiskBadge level={r.risk.level} score={r.risk.score} />
            </Field>
            <Field label="Agent">{r.agent.name}</Field>
          </dl>
        </div>
        <LiveRefresh requestId={r.id} />
      </div>

      {/*
        One column on small screens, in reading order for a decision: the panel first, then what
        it decides (intent, parameters), then the record. From lg up the panel moves to the right
        column's top, beside the document.
      */}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3 lg:grid-rows-[auto_1fr]">
        <div className="min-w-0 space-y-6 lg:col-start-3 lg:row-start-1">
          <DecisionPanel
            requestId={r.id}
            open={open}
            refusals={refusals}
            confirm={confirm}
            progress={progress}
            readOnly={
              <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-600" data-testid="read-only">
                Read-only: your role ({viewer.roles.join(", ")}) does not decide requests.
              </p>
            }
            outcome={<OutcomeSummary request={r} cancelReason={cancelReason} />}
          />
          <BreakGlassPanel request={r} viewer={viewer} />
        </div>

        <div className="min-w-0 space-y-6 lg:col-span-2 lg:col-start-1 lg:row-span-2 lg:row-start-1">
          <Card title="Intent (as stated by the agent)" id="intent">
            <blockquote className="whitespace-pre-wrap border-l-4 border-slate-200 pl-4 text-sm text-slate-800" data-testid="intent">
              {r.intent}
            </blockquote>
          </Card>
          <Card title="Parameters" id="params">
            <RequestParameters context={r.context} links={policy.links} />
            <p className="mt-3 text-xs text-slate-500">
              params_hash <code className="break-all font-mono text-slate-700" data-testid="params-hash">{r.params_hash}</code>
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

        <div className="min-w-0 space-y-6 lg:col-start-3 lg:row-start-2">
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
          <Card title={POLICY_TITLES[r.policy.decision]} id="policy">
            <p className="text-sm text-slate-700">{r.policy.explanation}</p>
            <dl className="mt-3 space-y-2">
              <Field label="Rule">{r.policy.rule}</Field>
              {needsApproval && (
                <>
                  <Field label="Approvals required">{r.approvals.required}</Field>
                  <Field label="Who may approve">{r.policy.approver_groups.join(", ") || "—"}</Field>
                </>
              )}
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
              <WorkloadOrigin identity={r.workload_identity} />
              {Object.entries(r.origin).map(([k, v]) => {
                const href = (LINK_FIELDS as readonly string[]).includes(k) ? referenceLink(policy.links, k as LinkField, v) : null;
                return (
                  <Field key={k} label={k.replace("_", " ")} testId={`origin-${k}`}>
                    {href ? (
                      <a href={href} target="_blank" rel="noopener noreferrer" className="font-mono text-xs text-indigo-700 underline hover:text-indigo-900">
                        {String(v)}
                      </a>
                    ) : (
                      <span className="font-mono text-xs">{String(v)}</span>
                    )}
                  </Field>
                );
              })}
              <Field label="Filed">{utcLabel(r.created_at)}</Field>
              {r.grant_expires_at && <Field label="Grant expires">{utcLabel(r.grant_expires_at)}</Field>}
            </dl>
          </Card>
        </div>
      </div>
    </article>
  );
}
