"use client";

import { startTransition, useEffect, useRef, useState } from "react";
import { LIMITS } from "@/lib/requests/schema";

/** Why this viewer may not approve, or deny (null: allowed); the server re-checks either way. */
export type Refusals = { approveBlocked: string | null; denyBlocked: string | null };

/**
 * What a high- or critical-risk approval restates before it is sent: the reviewer confirms the
 * action, where it runs and the parameters it binds to (the start of params_hash), not a button.
 */
export type ApprovalFacts = { risk: string; action: string; resource: string; environment: string; paramsHash: string };

/** How much of params_hash the confirmation shows: enough to tell two requests apart by eye. */
export const HASH_PREFIX_CHARS = 12;

type Props = Refusals & {
  requestId: string;
  action: (form: FormData) => void;
  pending: boolean;
  /** Set when approving asks for a confirmation first. */
  confirm: ApprovalFacts | null;
  /** The server's complaint about the note (e.g. required to deny), shown at the field. */
  noteError?: string | undefined;
};

export function DecisionForm({ requestId, action, pending, approveBlocked, denyBlocked, confirm, noteError }: Props) {
  const [note, setNote] = useState("");
  const dialog = useRef<HTMLDialogElement>(null);
  const disabled = pending || (approveBlocked !== null && denyBlocked !== null);
  const reasons = [...new Set([approveBlocked, denyBlocked].filter((r): r is string => r !== null))];
  // The confirmation stays open while its vote is sent, and closes when the answer is in.
  useEffect(() => {
    if (!pending) dialog.current?.close();
  }, [pending]);

  const approveClass =
    "rounded-md bg-emerald-700 px-4 py-2 text-sm font-semibold text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:cursor-not-allowed disabled:opacity-50";

  return (
    <form
      action={action}
      // Submitted by hand, as every console form is (app/(console)/_lib/console-form.tsx): React's
      // reset after an action would otherwise wipe the note on an error. The clicked button
      // (Approve, Deny, Confirm approval) rides along as the submitter; without JavaScript the
      // form still posts.
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
        startTransition(() => action(data));
      }}
      className="space-y-3"
      aria-describedby="decision-help"
    >
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
        aria-invalid={noteError ? true : undefined}
        aria-describedby={noteError ? "note-error" : undefined}
        className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:bg-slate-50 aria-[invalid=true]:border-rose-400"
        placeholder="Why you approve or deny — it goes in the audit trail."
      />
      {noteError && (
        <p id="note-error" className="text-xs text-rose-700">
          {noteError}
        </p>
      )}
      <p id="decision-help" className="text-xs text-slate-500">
        Your vote binds to the parameters shown on this page (params hash). Approval lets the agent run it once.
      </p>
      <div className="flex flex-wrap gap-3">
        {confirm ? (
          <button type="button" aria-haspopup="dialog" onClick={() => dialog.current?.showModal()} disabled={pending || approveBlocked !== null} className={approveClass}>
            Approve
          </button>
        ) : (
          <button type="submit" name="decision" value="approve" disabled={pending || approveBlocked !== null} className={approveClass}>
            Approve
          </button>
        )}
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
      {confirm && (
        <dialog
          ref={dialog}
          aria-labelledby="confirm-approval-title"
          aria-describedby="confirm-approval-help"
          className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
        >
          <h2 id="confirm-approval-title" className="text-base font-semibold">
            Approve a {confirm.risk}-risk request?
          </h2>
          <p id="confirm-approval-help" className="mt-1 text-sm text-slate-600">
            The agent may then run exactly this, once:
          </p>
          <dl className="mt-3 space-y-2 text-sm" data-testid="confirm-facts">
            {(
              [
                ["Action", confirm.action],
                ["Resource", confirm.resource],
                ["Environment", confirm.environment],
                ["Parameters (params_hash)", `${confirm.paramsHash.slice(0, HASH_PREFIX_CHARS)}…`],
              ] as const
            ).map(([label, value]) => (
              <div key={label}>
                <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
                <dd className="font-mono wrap-anywhere">{value}</dd>
              </div>
            ))}
          </dl>
          <div className="mt-5 flex flex-wrap justify-end gap-3">
            <button
              type="button"
              autoFocus
              onClick={() => dialog.current?.close()}
              className="rounded-md border border-slate-300 px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
            >
              Cancel
            </button>
            <button type="submit" name="decision" value="approve" disabled={pending || approveBlocked !== null} className={approveClass}>
              {pending ? "Approving…" : "Confirm approval"}
            </button>
          </div>
        </dialog>
      )}
    </form>
  );
}
