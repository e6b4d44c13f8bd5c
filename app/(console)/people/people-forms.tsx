"use client";

// The people page's forms: end a person's sessions, and link two people who are one. Both submit
// through useConsoleForm (typed input stays on an error, each error at its field).
import type { ActionResult } from "../_lib/console-action";
import { FieldError, FormError, useConsoleForm } from "../_lib/console-form";
import { endSessionsAction, linkPeopleAction } from "./actions";

const button =
  "rounded-md border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50";

function Done({ state, ok }: { state: ActionResult<unknown> | null; ok: string }) {
  return state?.ok ? (
    <p role="status" className="mt-2 text-sm text-emerald-800">
      {ok}
    </p>
  ) : null;
}

export function EndSessionsButton({ personId, name, openSessions }: { personId: string; name: string; openSessions: number }) {
  const { state, pending, form, formError } = useConsoleForm(endSessionsAction);
  return (
    <form {...form} aria-label={`End every session of ${name}`}>
      <input type="hidden" name="personId" value={personId} />
      <button disabled={pending || openSessions === 0} className={button} aria-label={`End every session of ${name}`}>
        {pending ? "Ending…" : "End sessions"}
      </button>
      <Done state={state} ok={state?.ok ? `Ended ${state.data.ended} session${state.data.ended === 1 ? "" : "s"}.` : ""} />
      <FormError message={formError} />
    </form>
  );
}

export function LinkPeopleForm({ people }: { people: { personId: string; label: string }[] }) {
  const { state, pending, form, issue, formError, field } = useConsoleForm(linkPeopleAction, { fields: ["from", "into"] });
  const select =
    "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[invalid=true]:border-rose-400";
  return (
    <form {...form} aria-label="Link two people" className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
      <div>
        <label htmlFor="link-from" className="text-sm font-medium">
          This person…
        </label>
        <select {...field("from", "link-from")} className={select} defaultValue="">
          <option value="">Choose…</option>
          {people.map((p) => (
            <option key={p.personId} value={p.personId}>
              {p.label}
            </option>
          ))}
        </select>
        <FieldError id="link-from" message={issue("from")} />
      </div>
      <div>
        <label htmlFor="link-into" className="text-sm font-medium">
          …is the same person as
        </label>
        <select {...field("into", "link-into")} className={select} defaultValue="">
          <option value="">Choose…</option>
          {people.map((p) => (
            <option key={p.personId} value={p.personId}>
              {p.label}
            </option>
          ))}
        </select>
        <FieldError id="link-into" message={issue("into")} />
      </div>
      <button
        disabled={pending}
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50"
      >
        {pending ? "Linking…" : "Link"}
      </button>
      <div className="sm:col-span-3">
        <Done state={state} ok="Linked: their identities now count as one person." />
        <FormError message={formError} />
      </div>
    </form>
  );
}
