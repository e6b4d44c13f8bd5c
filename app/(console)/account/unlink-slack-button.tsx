"use client";

import { FormError, useConsoleForm } from "../_lib/console-form";
import { unlinkSlackAccountAction } from "./actions";

export function UnlinkSlackButton({ teamId, userId }: { teamId: string; userId: string }) {
  const { pending, form, formError } = useConsoleForm(unlinkSlackAccountAction);
  return (
    <form {...form} aria-label={`Unlink Slack member ${userId}`} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="teamId" value={teamId} />
      <input type="hidden" name="userId" value={userId} />
      <button
        disabled={pending}
        aria-label={`Unlink Slack member ${userId} in workspace ${teamId}`}
        className="rounded-md border border-rose-300 px-3 py-1.5 text-sm font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        {pending ? "Unlinking…" : "Unlink"}
      </button>
      <FormError message={formError} compact />
    </form>
  );
}
