"use client";

import { useActionState } from "react";
import { unlinkSlackAccountAction } from "./actions";

export function UnlinkSlackButton({ teamId, userId }: { teamId: string; userId: string }) {
  const [state, action, pending] = useActionState(unlinkSlackAccountAction, null);
  return (
    <form action={action} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="teamId" value={teamId} />
      <input type="hidden" name="userId" value={userId} />
      <button
        disabled={pending}
        aria-label={`Unlink Slack member ${userId} in workspace ${teamId}`}
        className="rounded-md border border-rose-300 px-3 py-1.5 text-sm font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        {pending ? "Unlinking…" : "Unlink"}
      </button>
      {state && !state.ok && (
        <span role="alert" className="text-xs text-rose-700">
          {state.error.message}
        </span>
      )}
    </form>
  );
}
