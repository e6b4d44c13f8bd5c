// What became of a request that no longer takes votes, in the order it happened: who decided and
// when, the grant window (with a countdown while it is open), the execution, and the result the
// agent reported with its detail. Shown in place of the vote form.
import { Field } from "@/components/console/card";
import { TimeLeft } from "@/components/console/time-left";
import { StatusBadge } from "@/components/status-badge";
import { utcLabel } from "@/lib/format/time";
import type { RequestView } from "@/lib/requests/schema";

const When = ({ at }: { at: string }) => <time dateTime={at}>{utcLabel(at)}</time>;

function Decision({ r, cancelReason }: { r: RequestView; cancelReason: string | null }) {
  const approvals = r.reviews.filter((v) => v.decision === "approve");
  const denial = r.reviews.find((v) => v.decision === "deny");
  const names = (votes: RequestView["reviews"]) => votes.map((v) => `${v.name} (${v.channel})`).join(", ");
  const at = r.decided_at ? (
    <>
      {" "}
      at <When at={r.decided_at} />
    </>
  ) : null;

  if (r.status === "cancelled") {
    return (
      <>
        Withdrawn by the agent{at}
        {cancelReason && <span className="block text-slate-600">“{cancelReason}”</span>}
      </>
    );
  }
  if (denial) {
    return (
      <>
        Denied by {denial.name} ({denial.channel}){at}
        {denial.note && <span className="block text-slate-600">“{denial.note}”</span>}
      </>
    );
  }
  if (r.policy.decision === "auto_approve") {
    return (
      <>
        Approved automatically by rule <code className="font-mono text-xs">{r.policy.rule}</code>{at}: no human review was needed.
      </>
    );
  }
  if (r.grant_expires_at) {
    return (
      <>
        Approved by {names(approvals)}
        {at}
        {approvals.some((v) => v.note) && (
          <ul className="mt-1 space-y-0.5 text-slate-600">
            {approvals
              .filter((v) => v.note)
              .map((v) => (
                <li key={v.reviewer}>
                  {v.name}: “{v.note}”
                </li>
              ))}
          </ul>
        )}
      </>
    );
  }
  // Expired undecided: the deadline passed with the quorum short.
  return (
    <>
      Not decided: the decision deadline passed at <When at={r.decision_deadline} /> with {r.approvals.count} of {r.approvals.required} approvals
      {approvals.length > 0 && <> (from {names(approvals)})</>}.
    </>
  );
}

function GrantWindow({ r }: { r: RequestView }) {
  const until = r.grant_expires_at!;
  if (r.status === "approved") {
    return (
      <>
        Open until <When at={until} /> · <span data-testid="grant-countdown"><TimeLeft until={until} /></span>
        <span className="block text-slate-600">The agent may claim this approval once before then.</span>
      </>
    );
  }
  if (r.status === "expired") {
    return (
      <>
        Closed unused at <When at={until} />: the agent never claimed the approval.
      </>
    );
  }
  return (
    <>
      Closed at <When at={until} />
    </>
  );
}

function Result({ r }: { r: RequestView }) {
  if (!r.result) return <span className="text-slate-600">No result reported yet.</span>;
  const { status, detail, at } = r.result;
  return (
    <div className="space-y-1" data-testid="outcome-result">
      <p className="flex flex-wrap items-center gap-2">
        <StatusBadge status={status} /> reported at <When at={at} />
      </p>
      {detail && Object.keys(detail).length > 0 && (
        <pre
          data-testid="outcome-result-detail"
          className="rounded-md border border-slate-200 bg-slate-50 p-2 font-mono text-xs leading-5 whitespace-pre-wrap text-slate-900 wrap-anywhere"
        >
          {JSON.stringify(detail, null, 2)}
        </pre>
      )}
    </div>
  );
}

export function OutcomeSummary({ request: r, cancelReason }: { request: RequestView; cancelReason: string | null }) {
  return (
    <dl className="space-y-3" data-testid="outcome">
      <Field label="Status">
        <StatusBadge status={r.status} />
      </Field>
      <Field label="Decision" testId="outcome-decision">
        <Decision r={r} cancelReason={cancelReason} />
      </Field>
      {r.grant_expires_at && (
        <Field label="Grant window" testId="outcome-grant">
          <GrantWindow r={r} />
        </Field>
      )}
      {(r.executed_at || r.status === "approved") && (
        <Field label="Execution" testId="outcome-execution">
          {r.executed_at ? (
            <>
              Claimed by {r.agent.name} at <When at={r.executed_at} />
            </>
          ) : (
            <span className="text-slate-600">Not claimed yet.</span>
          )}
        </Field>
      )}
      {r.executed_at && (
        <Field label="Result">
          <Result r={r} />
        </Field>
      )}
    </dl>
  );
}
