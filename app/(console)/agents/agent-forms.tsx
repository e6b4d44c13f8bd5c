"use client";

import { useActionState, useState } from "react";
import type { ActionResult } from "../_lib/console-action";
import { registerAgentAction, revokeAgentAction } from "./actions";

type Registered = ActionResult<{ id: string; name: string; key: string }> | null;

const input =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600";

export function RegisterAgentForm() {
  const [state, action, pending] = useActionState<Registered, FormData>(registerAgentAction, null);
  const [copied, setCopied] = useState(false);
  const issue = (path: string) => (state && !state.ok ? state.error.issues?.find((i) => i.path === path)?.message : undefined);

  return (
    <div>
      <form action={action} className="grid gap-3 sm:grid-cols-3">
        <div>
          <label htmlFor="agent-name" className="text-sm font-medium">Name</label>
          <input id="agent-name" name="name" required placeholder="deploy-bot" className={input} aria-invalid={!!issue("name")} />
          {issue("name") && <p className="mt-1 text-xs text-rose-700">{issue("name")}</p>}
        </div>
        <div>
          <label htmlFor="agent-owner" className="text-sm font-medium">Owner e-mail</label>
          <input id="agent-owner" name="owner" type="email" required placeholder="owner@company.com" className={input} aria-invalid={!!issue("owner")} />
          {issue("owner") && <p className="mt-1 text-xs text-rose-700">{issue("owner")}</p>}
        </div>
        <div>
          <label htmlFor="agent-description" className="text-sm font-medium">Description</label>
          <input id="agent-description" name="description" placeholder="What it does" className={input} />
        </div>
        <div className="sm:col-span-3">
          <button
            disabled={pending}
            className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50"
          >
            {pending ? "Registering…" : "Register agent"}
          </button>
        </div>
      </form>
      {state && !state.ok && !state.error.issues?.length && (
        <p role="alert" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
          {state.error.message}
        </p>
      )}
      {state?.ok && (
        <div role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-4">
          <p className="text-sm font-medium text-emerald-900">
            Agent {state.data.name} registered. Copy its key now — it is shown only once.
          </p>
          <div className="mt-2 flex gap-2">
            <code data-testid="new-agent-key" className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-xs">
              {state.data.key}
            </code>
            <button
              type="button"
              onClick={async () => {
                await navigator.clipboard.writeText(state.data.key);
                setCopied(true);
              }}
              className="rounded-md border border-emerald-400 bg-white px-3 py-1 text-sm hover:bg-emerald-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

export function RevokeAgentButton({ agentId, name }: { agentId: string; name: string }) {
  const [state, action, pending] = useActionState(revokeAgentAction, null);
  return (
    <form
      action={action}
      onSubmit={(e) => {
        if (!confirm(`Revoke ${name}? Its keys stop working immediately.`)) e.preventDefault();
      }}
    >
      <input type="hidden" name="agentId" value={agentId} />
      <button
        disabled={pending}
        className="rounded-md border border-rose-300 px-2.5 py-1 text-xs font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        Revoke
      </button>
      {state && !state.ok && <span role="alert" className="ml-2 text-xs text-rose-700">{state.error.message}</span>}
    </form>
  );
}
