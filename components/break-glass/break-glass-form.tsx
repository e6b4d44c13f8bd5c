"use client";

// "Break glass" on a pending request: a reason of at least 20 characters, then the request is
// approved at once on this person's word. The server re-checks everything; errors show at the field.
import { useActionState, useId, useState } from "react";
import { breakGlassAction } from "@/app/(console)/_lib/break-glass-actions";
import type { ActionResult } from "@/app/(console)/_lib/console-action";
import { LIMITS } from "@/lib/requests/schema";

type Result = ActionResult<{ status: string }> | null;

export function BreakGlassForm({ requestId, groups }: { requestId: string; groups: string[] }) {
  const [state, action, pending] = useActionState<Result, FormData>(breakGlassAction, null);
  const [reason, setReason] = useState("");
  const id = useId();
  const fieldError = state && !state.ok ? state.error.issues?.find((i) => i.path === "reason")?.message : undefined;
  const otherError = state && !state.ok && !fieldError ? state.error.message : undefined;

  return (
    <details className="rounded-md border border-rose-300 bg-rose-50 p-3" data-testid="break-glass">
      <summary className="cursor-pointer text-sm font-semibold text-rose-900">Break glass</summary>
      <form action={action} className="mt-3 space-y-2">
        <input type="hidden" name="requestId" value={requestId} />
        <p className="text-sm text-rose-900">
          Approve this request alone, now, as a member of {groups.join(", ")}. Every approver group is notified, the request is
          flagged for ever, and another approver must review it afterwards.
        </p>
        <label htmlFor={`${id}-reason`} className="block text-sm font-medium text-slate-900">
          Reason <span className="font-normal text-slate-600">(at least {LIMITS.breakGlassReasonMinChars} characters)</span>
        </label>
        <textarea
          id={`${id}-reason`}
          name="reason"
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={LIMITS.noteChars}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? `${id}-reason-error` : undefined}
          className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-rose-700 aria-[invalid]:border-rose-600"
          placeholder="What is broken, and why it cannot wait for the normal approvals."
        />
        {fieldError && (
          <p id={`${id}-reason-error`} role="alert" data-testid="break-glass-reason-error" className="text-sm text-rose-800">
            Reason {fieldError}.
          </p>
        )}
        <button
          type="submit"
          disabled={pending}
          className="rounded-md bg-rose-700 px-4 py-2 text-sm font-semibold text-white hover:bg-rose-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Approve alone (break glass)
        </button>
        {otherError && (
          <p role="alert" data-testid="break-glass-error" className="rounded-md bg-white px-3 py-2 text-sm text-rose-800">
            {otherError}
          </p>
        )}
        {state?.ok && (
          <p role="status" className="rounded-md bg-white px-3 py-2 text-sm text-emerald-800">
            Break-glass recorded — request is {state.data.status}.
          </p>
        )}
      </form>
    </details>
  );
}
