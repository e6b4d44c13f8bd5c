"use client";

// The one way a console form submits. React 19 resets a <form> after its action runs, so a
// validation error would wipe what was typed; submitting by hand (onSubmit → preventDefault →
// startTransition(action(formData))) keeps it, and the form is cleared only when the action
// succeeded. Without JavaScript the form still posts to the server action. Errors come back as the
// wrapper's typed result (console-action.ts): each issue is shown at its field, anything else once
// above the button.
import { startTransition, useActionState, useEffect, useRef, type FormEvent } from "react";
import type { ActionResult } from "./console-action";

type ServerAction<T> = (previous: unknown, form: FormData) => Promise<ActionResult<T>>;

export type ConsoleFormOptions = {
  /** The fields this form shows errors at; an error about anything else is shown as the form's. */
  fields?: readonly string[];
  /** Asked before submitting (a destructive action); cancelling sends nothing. */
  confirm?: string;
  /** Clear the inputs after a success (default true). */
  resetOnSuccess?: boolean;
};

export function useConsoleForm<T>(serverAction: ServerAction<T>, options: ConsoleFormOptions = {}) {
  const [state, action, pending] = useActionState<ActionResult<T> | null, FormData>(serverAction, null);
  const ref = useRef<HTMLFormElement>(null);
  const resetOnSuccess = options.resetOnSuccess ?? true;
  useEffect(() => {
    if (state?.ok && resetOnSuccess) ref.current?.reset();
  }, [state, resetOnSuccess]);

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (options.confirm && !window.confirm(options.confirm)) return;
    // The submitter carries the clicked button's name=value (Approve / Deny), as a native post would.
    const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
    startTransition(() => action(data));
  };

  const error = state && !state.ok ? state.error : null;
  const issue = (path: string): string | undefined => error?.issues?.find((i) => i.path === path)?.message;
  const fields = options.fields ?? [];
  const formError = error && !error.issues?.some((i) => fields.includes(i.path)) ? error.message : undefined;
  /** Props for the input named `name` with id `id`: marks it invalid and points at its error. */
  const field = (name: string, id: string) => ({
    id,
    name,
    "aria-invalid": issue(name) ? true : undefined,
    "aria-describedby": issue(name) ? `${id}-error` : undefined,
  });

  // noValidate: the server's rules are the one set of rules, and their messages sit at the fields.
  return { state, pending, form: { ref, action, onSubmit, noValidate: true }, issue, formError, field };
}

/** The error under a field; `id` is the field's id (the field's aria-describedby points here). */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={`${id}-error`} className="mt-1 text-xs text-rose-700">
      {message}
    </p>
  );
}

/** The form's own error (not about one field), announced once. */
export function FormError({ message, compact = false }: { message: string | undefined; compact?: boolean }) {
  if (!message) return null;
  return compact ? (
    <span role="alert" className="ml-2 text-xs text-rose-700">
      {message}
    </span>
  ) : (
    <p role="alert" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
      {message}
    </p>
  );
}
