"use client";

import Link from "next/link";
import { FormError, useConsoleForm } from "../../_lib/console-form";
import { linkSlackAccountAction } from "./actions";

export function ConfirmLinkForm({ code }: { code: string }) {
  const { state, pending, form, formError } = useConsoleForm(linkSlackAccountAction);

  if (state?.ok) {
    return (
      <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-900">
        <p className="font-semibold">Slack account linked.</p>
        <p className="mt-1">
          Slack member <span className="font-mono">{state.data.userId}</span> in workspace{" "}
          <span className="font-mono">{state.data.teamId}</span> now decides as you. Go back to Slack and click the button
          again.
        </p>
        <p className="mt-3">
          <Link href="/account" className="font-medium text-indigo-700 underline hover:text-indigo-900">
            See your linked accounts
          </Link>
        </p>
      </div>
    );
  }

  return (
    <form {...form}>
      <input type="hidden" name="code" value={code} />
      <FormError message={formError} />
      <div className="flex flex-col-reverse gap-3 sm:flex-row sm:justify-end">
        <Link
          href="/"
          className="rounded-md border border-slate-300 px-4 py-2 text-center text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          Cancel
        </Link>
        <button
          disabled={pending}
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50"
        >
          {pending ? "Linking…" : "Confirm and link"}
        </button>
      </div>
    </form>
  );
}
