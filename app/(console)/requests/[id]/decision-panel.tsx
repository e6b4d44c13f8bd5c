"use client";

// The request page's decision panel: the vote form while the request is pending, its outcome once
// it is not. One component in one place for both, so the reviewer's own "vote recorded" answer
// survives the refresh that turns the form into the outcome (their approval completed the quorum).
import { useActionState } from "react";
import { Card } from "@/components/console/card";
import type { ActionResult } from "../../_lib/console-action";
import { decideAction } from "./actions";
import { DecisionForm, type ApprovalFacts, type Refusals } from "./decision-form";

type Result = ActionResult<{ status: string; approvals: { count: number; required: number } }> | null;

type Props = {
  requestId: string;
  /** Pending: votes are still taken. */
  open: boolean;
  /** Null when this viewer does not decide (their role); `readOnly` says why. */
  refusals: Refusals | null;
  confirm: ApprovalFacts | null;
  /** Pending: the progress so far (approvals, deadline, votes) and a step-up prompt if one is due. */
  progress: React.ReactNode;
  readOnly: React.ReactNode;
  /** Decided: who, when, the grant window, the execution and its result. */
  outcome: React.ReactNode;
};

export function DecisionPanel({ requestId, open, refusals, confirm, progress, readOnly, outcome }: Props) {
  const [state, action, pending] = useActionState<Result, FormData>(decideAction, null);
  const noteError = state && !state.ok ? state.error.issues?.find((i) => i.path === "note")?.message : undefined;
  return (
    <div data-testid="decision-panel">
      <Card title={open ? "Decision" : "Outcome"} id="decision">
        {open ? (
          <>
            {progress}
            <div className="mt-4">
              {refusals ? <DecisionForm requestId={requestId} action={action} pending={pending} confirm={confirm} noteError={noteError} {...refusals} /> : readOnly}
            </div>
          </>
        ) : (
          outcome
        )}
        {state && !state.ok && (
          <p role="alert" data-testid="decision-error" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
            {state.error.message}
          </p>
        )}
        {state?.ok && (
          <p role="status" className="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            Vote recorded — request is {state.data.status} ({state.data.approvals.count} of {state.data.approvals.required} approvals).
          </p>
        )}
      </Card>
    </div>
  );
}
