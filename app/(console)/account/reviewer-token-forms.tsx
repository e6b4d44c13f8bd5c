"use client";

// Personal tokens on the account page: the create form (what was typed stays on an error, each
// error sits at its field), the new token shown once, and a Revoke button per live token.
import { startTransition, useActionState, useState } from "react";
import type { ActionResult } from "../_lib/console-action";
import { createReviewerTokenAction, revokeReviewerTokenAction } from "./actions";

type Created = ActionResult<{ token: string; name: string; expiresAt: string }> | null;

const input =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[invalid=true]:border-rose-400";

export function CreateReviewerTokenForm({ lifetimes, defaultLifetime, canDecide }: { lifetimes: readonly number[]; defaultLifetime: number; canDecide: boolean }) {
  const [state, action, pending] = useActionState<Created, FormData>(createReviewerTokenAction, null);
  const [name, setName] = useState("");
  const [read, setRead] = useState(true);
  const [decide, setDecide] = useState(canDecide);
  const [days, setDays] = useState(String(defaultLifetime));
  const [copied, setCopied] = useState<string | null>(null);
  const issue = (path: string) => (state && !state.ok ? state.error.issues?.find((i) => i.path === path)?.message : undefined);
  const fieldIssues = new Set(["name", "scopes", "expiresInDays"]);

  return (
    <div>
      <form
        action={action}
        // React resets a form after its action runs, which would put the controlled inputs' DOM out of
        // step with their state on an error; submitting by hand keeps what was typed (without
        // JavaScript the form still posts to the action).
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          startTransition(() => action(data));
        }}
        className="grid gap-4 sm:grid-cols-[2fr_2fr_1fr]"
        aria-label="Create a personal token"
      >
        <div>
          <label htmlFor="token-name" className="text-sm font-medium">
            Name
          </label>
          <input
            id="token-name"
            name="name"
            required
            maxLength={80}
            placeholder="laptop CLI"
            value={name}
            onChange={(e) => setName(e.target.value)}
            className={input}
            aria-invalid={!!issue("name")}
            aria-describedby={issue("name") ? "token-name-error" : undefined}
          />
          {issue("name") && (
            <p id="token-name-error" className="mt-1 text-xs text-rose-700">
              {issue("name")}
            </p>
          )}
        </div>
        <fieldset aria-describedby={issue("scopes") ? "token-scopes-error" : undefined} aria-invalid={!!issue("scopes")}>
          <legend className="text-sm font-medium">Scopes</legend>
          <div className="mt-2 flex flex-wrap gap-4 text-sm">
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" name="scope_read" checked={read} onChange={(e) => setRead(e.target.checked)} className="h-4 w-4 rounded border-slate-300" />
              <span>
                read <span className="text-slate-500">(list, show)</span>
              </span>
            </label>
            <label className="inline-flex items-center gap-2">
              <input
                type="checkbox"
                name="scope_decide"
                checked={decide}
                onChange={(e) => setDecide(e.target.checked)}
                className="h-4 w-4 rounded border-slate-300"
              />
              <span>
                decide <span className="text-slate-500">(approve, deny)</span>
              </span>
            </label>
          </div>
          {issue("scopes") && (
            <p id="token-scopes-error" className="mt-1 text-xs text-rose-700">
              {issue("scopes")}
            </p>
          )}
        </fieldset>
        <div>
          <label htmlFor="token-expiry" className="text-sm font-medium">
            Expires in
          </label>
          <select
            id="token-expiry"
            name="expiresInDays"
            value={days}
            onChange={(e) => setDays(e.target.value)}
            className={input}
            aria-invalid={!!issue("expiresInDays")}
            aria-describedby={issue("expiresInDays") ? "token-expiry-error" : undefined}
          >
            {lifetimes.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
          {issue("expiresInDays") && (
            <p id="token-expiry-error" className="mt-1 text-xs text-rose-700">
              {issue("expiresInDays")}
            </p>
          )}
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
      {state && !state.ok && !state.error.issues?.some((i) => fieldIssues.has(i.path)) && (
        <p role="alert" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
          {state.error.message}
        </p>
      )}
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
  const [state, action, pending] = useActionState(revokeReviewerTokenAction, null);
  return (
    <form
      action={action}
      onSubmit={(e) => {
        if (!confirm(`Revoke the token ${name}? It stops working immediately.`)) e.preventDefault();
      }}
    >
      <input type="hidden" name="tokenId" value={tokenId} />
      <button
        disabled={pending}
        aria-label={`Revoke the token ${name}`}
        className="rounded-md border border-rose-300 px-2.5 py-1 text-xs font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        {pending ? "Revoking…" : "Revoke"}
      </button>
      {state && !state.ok && (
        <span role="alert" className="ml-2 text-xs text-rose-700">
          {state.error.message}
        </span>
      )}
    </form>
  );
}
