"use client";

import { useActionState, useState } from "react";
import type { ActionResult } from "../../_lib/console-action";
import { LIMITS } from "@/lib/requests/schema";
import { decideAction } from "./actions";

type Result = ActionResult<{ status: string; approvals: { count: number; required: number } }> | null;

/** Why this viewer may not approve, or deny (null: allowed); the server re-checks either way. */
type Refusals = { approveBlocked: string | null; denyBlocked: string | null };

export function DecisionForm({ requestId, approveBlocked, denyBlocked }: { requestId: string } & Refusals) {
  const [state, action, pending] = useActionState<Result, FormData>(decideAction, null);
  const [note, setNote] = useState("");
  const disabled = pending || (approveBlocked !== null && denyBlocked !== null);
  const reasons = [...new Set([approveBlocked, denyBlocked].filter((r): r is string => r !== null))];

  return (
    <form action={action} className="space-y-3" aria-describedby="decision-help">
      <input type="hidden" name="requestId" value={requestId} />
      <label htmlFor="note" className="block text-sm font-medium text-slate-800">
        Note <span className="font-normal text-slate-500">(required to deny)</span>
      </label>
      <textarea
        id="note"
        name="note"
        rows={3}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        maxLength={LIMITS.noteChars}
        disabled={disabled}
        className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:bg-slate-50"
        placeholder="Why you approve or deny — it goes in the audit trail."
      />
      <p id="decision-help" className="text-xs text-slate-500">
        Your vote binds to the parameters shown on this page (params hash). Approval lets the agent run it once.
      </p>
      <div className="flex gap-3">
        <button
          type="submit"
          name="decision"
          value="approve"
          disabled={pending || approveBlocked !== null}
          className="rounded-md bg-emerald-700 px-4 py-2 text-sm font-semibold text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Approve
        </button>
        <button
          type="submit"
          name="decision"
          value="deny"
          disabled={pending || denyBlocked !== null}
          className="rounded-md bg-rose-700 px-4 py-2 text-sm font-semibold text-white hover:bg-rose-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Deny
        </button>
      </div>
      {reasons.map((reason) => (
        <p key={reason} className="text-sm text-slate-600">
          {reason}
        </p>
      ))}
      {state && !state.ok && (
        <p role="alert" data-testid="decision-error" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
          {state.error.message}
        </p>
      )}
      {state?.ok && (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          Vote recorded — request is {state.data.status} ({state.data.approvals.count} of {state.data.approvals.required}{" "}
          approvals).
        </p>
      )}
    </form>
  );
}
