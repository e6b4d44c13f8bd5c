"use client";

// The agents page's forms: register (the key shown once), and per agent rotate its key (the new
// key shown once) and revoke. All submit through useConsoleForm: typed input stays on an error,
// and each error sits at its field.
import { useState } from "react";
import { FieldError, FormError, useConsoleForm } from "../_lib/console-form";
import { registerAgentAction, revokeAgentAction, rotateAgentKeyAction } from "./actions";

const input =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[invalid=true]:border-rose-400";

/** A key shown once, with a Copy button. */
function NewKey({ heading, value, testId }: { heading: string; value: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-4 text-left">
      <p className="text-sm font-medium text-emerald-900">{heading}</p>
      <div className="mt-2 flex gap-2">
        <code data-testid={testId} className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-xs">
          {value}
        </code>
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(value);
            setCopied(true);
          }}
          className="rounded-md border border-emerald-400 bg-white px-3 py-1 text-sm hover:bg-emerald-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}

export function RegisterAgentForm() {
  const { state, pending, form, issue, formError, field } = useConsoleForm(registerAgentAction, { fields: ["name", "owner", "description"] });
  return (
    <div>
      <form {...form} aria-label="Register an agent" className="grid gap-3 sm:grid-cols-3">
        <div>
          <label htmlFor="agent-name" className="text-sm font-medium">
            Name
          </label>
          <input {...field("name", "agent-name")} required autoComplete="off" placeholder="release-bot" className={input} />
          <FieldError id="agent-name" message={issue("name")} />
        </div>
        <div>
          <label htmlFor="agent-owner" className="text-sm font-medium">
            Owner e-mail
          </label>
          <input {...field("owner", "agent-owner")} type="email" required autoComplete="off" placeholder="owner@company.com" className={input} />
          <FieldError id="agent-owner" message={issue("owner")} />
        </div>
        <div>
          <label htmlFor="agent-description" className="text-sm font-medium">
            Description
          </label>
          <input {...field("description", "agent-description")} placeholder="What it does" className={input} />
          <FieldError id="agent-description" message={issue("description")} />
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
      <FormError message={formError} />
      {state?.ok && (
        <NewKey heading={`Agent ${state.data.name} registered. Copy its key now — it is shown only once.`} value={state.data.key} testId="new-agent-key" />
      )}
    </div>
  );
}

export function RotateAgentKeyButton({ agentId, name }: { agentId: string; name: string }) {
  const { state, pending, form, formError } = useConsoleForm(rotateAgentKeyAction, {
    confirm: `Rotate the key of ${name}? Its current key stops working immediately.`,
  });
  return (
    <div>
      <form {...form} aria-label={`Rotate the key of ${name}`}>
        <input type="hidden" name="agentId" value={agentId} />
        <button
          disabled={pending}
          aria-label={`Rotate the key of ${name}`}
          className="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-50"
        >
          {pending ? "Rotating…" : "Rotate key"}
        </button>
        <FormError message={formError} compact />
      </form>
      {state?.ok && <NewKey heading={`New key for ${state.data.name}. Copy it now — it is shown only once.`} value={state.data.key} testId="rotated-agent-key" />}
    </div>
  );
}

export function RevokeAgentButton({ agentId, name }: { agentId: string; name: string }) {
  const { pending, form, formError } = useConsoleForm(revokeAgentAction, { confirm: `Revoke ${name}? Its keys stop working immediately.` });
  return (
    <form {...form} aria-label={`Revoke ${name}`}>
      <input type="hidden" name="agentId" value={agentId} />
      <button
        disabled={pending}
        aria-label={`Revoke ${name}`}
        className="rounded-md border border-rose-300 px-2.5 py-1 text-xs font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-rose-600 disabled:opacity-50"
      >
        Revoke
      </button>
      <FormError message={formError} compact />
    </form>
  );
}
