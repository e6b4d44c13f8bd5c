"use client";

import { useActionState } from "react";
import type { ActionResult } from "../_lib/console-action";
import { endSessionsAction, linkPeopleAction } from "./actions";

const button =
  "rounded-md border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50";

function Outcome({ state, ok }: { state: ActionResult<unknown> | null; ok: string }) {
  if (!state) return null;
  return state.ok ? (
    <p role="status" className="mt-2 text-sm text-emerald-800">{ok}</p>
  ) : (
    <p role="alert" className="mt-2 text-sm text-rose-800">{state.error.message}</p>
  );
}

export function EndSessionsButton({ personId, name, openSessions }: { personId: string; name: string; openSessions: number }) {
  const [state, action, pending] = useActionState<ActionResult<{ ended: number }> | null, FormData>(endSessionsAction, null);
  return (
    <form action={action}>
      <input type="hidden" name="personId" value={personId} />
      <button disabled={pending || openSessions === 0} className={button} aria-label={`End every session of ${name}`}>
        {pending ? "Ending…" : "End sessions"}
      </button>
      <Outcome state={state} ok={state?.ok ? `Ended ${state.data.ended} session${state.data.ended === 1 ? "" : "s"}.` : ""} />
    </form>
  );
}

export function LinkPeopleForm({ people }: { people: { personId: string; label: string }[] }) {
  const [state, action, pending] = useActionState<ActionResult<{ linked: boolean }> | null, FormData>(linkPeopleAction, null);
  const select = "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-indigo-600";
  const issue = (path: string) => (state && !state.ok ? state.error.issues?.find((i) => i.path === path)?.message : undefined);
  return (
    <form action={action} className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
      <div>
        <label htmlFor="link-from" className="text-sm font-medium">This person…</label>
        <select id="link-from" name="from" className={select} defaultValue="" aria-invalid={!!issue("from")}>
          <option value="" disabled>Choose…</option>
          {people.map((p) => <option key={p.personId} value={p.personId}>{p.label}</option>)}
        </select>
        {issue("from") && <p className="mt-1 text-xs text-rose-700">{issue("from")}</p>}
      </div>
      <div>
        <label htmlFor="link-into" className="text-sm font-medium">…is the same person as</label>
        <select id="link-into" name="into" className={select} defaultValue="" aria-invalid={!!issue("into")}>
          <option value="" disabled>Choose…</option>
          {people.map((p) => <option key={p.personId} value={p.personId}>{p.label}</option>)}
        </select>
        {issue("into") && <p className="mt-1 text-xs text-rose-700">{issue("into")}</p>}
      </div>
      <button disabled={pending} className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50">
        {pending ? "Linking…" : "Link"}
      </button>
      <div className="sm:col-span-3"><Outcome state={state} ok="Linked: their identities now count as one person." /></div>
    </form>
  );
}
