"use client";

// The retrospective review of a break-glass approval: Acknowledge (note optional) or Flag (note
// required). The server decides who may; errors show at the note.
import { useActionState, useId } from "react";
import { retrospectiveAction } from "@/app/(console)/_lib/break-glass-actions";
import type { ActionResult } from "@/app/(console)/_lib/console-action";
import { LIMITS } from "@/lib/requests/schema";

type Result = ActionResult<{ state: string | null }> | null;

export function RetrospectiveForm({ requestId }: { requestId: string }) {
  const [state, action, pending] = useActionState<Result, FormData>(retrospectiveAction, null);
  const id = useId();
  const noteError = state && !state.ok ? state.error.issues?.find((i) => i.path === "note")?.message : undefined;
  const otherError = state && !state.ok && !noteError ? state.error.message : undefined;

  return (
    <form action={action} className="space-y-2" data-testid="retrospective-form">
      <input type="hidden" name="requestId" value={requestId} />
      <label htmlFor={`${id}-note`} className="block text-sm font-medium text-slate-900">
        Review note <span className="font-normal text-slate-600">(required to flag)</span>
      </label>
      <textarea
        id={`${id}-note`}
        name="note"
        rows={2}
        maxLength={LIMITS.noteChars}
        aria-invalid={noteError ? true : undefined}
        aria-describedby={noteError ? `${id}-note-error` : undefined}
        className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[invalid]:border-rose-600"
        placeholder="What you checked."
      />
      {noteError && (
        <p id={`${id}-note-error`} role="alert" className="text-sm text-rose-800">
          Note {noteError}.
        </p>
      )}
      <div className="flex gap-2">
        <button
          type="submit"
          name="verdict"
          value="acknowledged"
          disabled={pending}
          className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-800 disabled:opacity-50"
        >
          Acknowledge
        </button>
        <button
          type="submit"
          name="verdict"
          value="flagged"
          disabled={pending}
          className="rounded-md bg-rose-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-rose-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700 disabled:opacity-50"
        >
          Flag
        </button>
      </div>
      {otherError && (
        <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
          {otherError}
        </p>
      )}
      {state?.ok && (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          Review recorded: {state.data.state}.
        </p>
      )}
    </form>
  );
}
