"use client";

// Personal tokens on the account page: the create form (what was typed stays on an error, each
// error sits at its field), the new token shown once, and a Revoke button per live token.
import { useState } from "react";
import { FieldError, FormError, useConsoleForm } from "../_lib/console-form";
import { createReviewerTokenAction, revokeReviewerTokenAction } from "./actions";

const input =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[invalid=true]:border-rose-400";

export function CreateReviewerTokenForm({ lifetimes, defaultLifetime, canDecide }: { lifetimes: readonly number[]; defaultLifetime: number; canDecide: boolean }) {
  const { state, pending, form, issue, formError, field } = useConsoleForm(createReviewerTokenAction, { fields: ["name", "scopes", "expiresInDays"] });
  const [copied, setCopied] = useState<string | null>(null);

  return (
    <div>
      <form {...form} className="grid gap-4 sm:grid-cols-[2fr_2fr_1fr]" aria-label="Create a personal token">
        <div>
          <label htmlFor="token-name" className="text-sm font-medium">
            Name
          </label>
          <input {...field("name", "token-name")} required maxLength={80} placeholder="laptop CLI" className={input} />
          <FieldError id="token-name" message={issue("name")} />
        </div>
        <fieldset aria-describedby={issue("scopes") ? "token-scopes-error" : undefined} aria-invalid={!!issue("scopes")}>
          <legend className="text-sm font-medium">Scopes</legend>
          <div className="mt-2 flex flex-wrap gap-4 text-sm">
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" name="scope_read" defaultChecked className="h-4 w-4 rounded border-slate-300" />
              <span>
                read <span className="text-slate-500">(list, show)</span>
              </span>
            </label>
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" name="scope_decide" defaultChecked={canDecide} className="h-4 w-4 rounded border-slate-300" />
              <span>
                decide <span className="text-slate-500">(approve, deny)</span>
              </span>
            </label>
          </div>
          <FieldError id="token-scopes" message={issue("scopes")} />
        </fieldset>
        <div>
          <label htmlFor="token-expiry" className="text-sm font-medium">
            Expires in
          </label>
          <select {...field("expiresInDays", "token-expiry")} defaultValue={String(defaultLifetime)} className={input}>
            {lifetimes.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
          <FieldError id="token-expiry" message={issue("expiresInDays")} />
        </div>
        <div className="sm:col-span-3">
          <button
            disabled={pending}
            className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50"
          >
            {pending ? "Creating…" : "Create token"}
          </button>
        </div>
      </form>
      <FormError message={formError} />
      {state?.ok && (
        <div role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-4">
          <p className="text-sm font-medium text-emerald-900">
            Token {state.data.name} created. Copy it now — it is shown only once, and Countersign keeps only its hash.
          </p>
          <div className="mt-2 flex gap-2">
            <code data-testid="new-reviewer-token" className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-xs">
              {state.data.token}
            </code>
            <button
              type="button"
              onClick={async () => {
                await navigator.clipboard.writeText(state.data.token);
                setCopied(state.data.token);
              }}
              className="rounded-md border border-emerald-400 bg-white px-3 py-1 text-sm hover:bg-emerald-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {copied === state.data.token ? "Copied" : "Copy"}
            </button>
          </div>
          <p className="mt-2 text-xs text-emerald-900">
            In a terminal: <code className="font-mono">export COUNTERSIGN_REVIEWER_TOKEN=…</code> then{" "}
            <code className="font-mono">countersign review list</code>.
          </p>
        </div>
      )}
    </div>
  );
}

export function RevokeReviewerTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const { pending, form, formError } = useConsoleForm(revokeReviewerTokenAction, { confirm: `Revoke the token ${name}? It stops working immediately.` });
  return (
    <form {...form} aria-label={`Revoke the token ${name}`}>
      <input type="hidden" name="tokenId" value={tokenId} />
      <button
        disabled={pending}
        aria-label={`Revoke the token ${name}`}
        className="rounded-md border border-rose-300 px-2.5 py-1 text-xs font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        {pending ? "Revoking…" : "Revoke"}
      </button>
      <FormError message={formError} compact />
    </form>
  );
}
