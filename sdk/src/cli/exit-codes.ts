// The gate's exit codes, in one table: what each outcome of a gated run exits with, the message
// that says why, and the help text that documents them. A script calling `countersign run` or
// `countersign wait` branches on these.
import os from "node:os";
import {
  ApiError,
  CancelledError,
  ConnectionError,
  DeniedError,
  ExpiredError,
  GrantVerificationError,
  RefusedByPolicyError,
  WaitTimeoutError,
} from "../errors.js";

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  denied: 3,
  expired: 4,
  refused: 5,
  cancelled: 6,
  grantRefused: 7,
  unreachable: 8,
  timeout: 9,
  /** A command that could not be started (as a shell says: not found). */
  notFound: 127,
  notExecutable: 126,
} as const;

export const EXIT_CODES_HELP = `
Exit codes (before the command runs; once it runs, its own code is passed through, or 128 + the
number of the signal that ended it):
  0    approved (wait), or the command succeeded
  1    any other error (the server refused the call)
  2    usage: bad flags, COUNTERSIGN_URL or COUNTERSIGN_KEY missing or refused, invalid request
  3    denied by a reviewer (their name and note are printed)
  4    expired: nobody decided before the deadline, or the approval was not claimed in time
  5    refused by policy (a deny rule; nobody was asked)
  6    cancelled
  7    grant refused: the approval could not be claimed for this exact command (already used,
       or the Idempotency-Key was filed with another command), or the grant did not verify
  8    the Countersign server could not be reached
  9    --timeout passed while the request was still pending
  126, 127  the command could not be started (not executable, not found; a program not on PATH
            is found before filing, so nothing is filed)
  129, 130, 143  SIGHUP, SIGINT, SIGTERM while waiting (run withdraws the pending request)
`;

/** A signal that arrived before the command ran. */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** A mistake in how the command was called. */
/** The command's program is not an executable on PATH (or at its path): found before filing, so a typo spends no approval. */
export class NotRunnable extends Error {}

export class UsageError extends Error {}

/** 128 + the signal's number, as shells report a process a signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

export type Failure = { code: number; event: string; message: string };

/** The exit code and message for what stopped a gated run (or a wait) before the command ran. */
export function failureOf(err: unknown): Failure {
  if (err instanceof Interrupted) return { code: signalExitCode(err.signal), event: "interrupted", message: `${err.message}` };
  if (err instanceof UsageError) return { code: EXIT.usage, event: "usage_error", message: err.message };
  if (err instanceof NotRunnable) return { code: EXIT.notFound, event: "not_found", message: err.message };
  if (err instanceof DeniedError) {
    const who = err.reviewer ?? "a reviewer";
    return { code: EXIT.denied, event: "denied", message: `denied by ${who}${err.note ? `: ${JSON.stringify(err.note)}` : " (no note)"}.` };
  }
  if (err instanceof RefusedByPolicyError) return { code: EXIT.refused, event: "refused_by_policy", message: `${err.message}.` };
  if (err instanceof ExpiredError) {
    const why =
      err.phase === "grant"
        ? `the approval expired unclaimed (grant window ended ${err.request.grant_expires_at})`
        : `nobody decided before the decision deadline (${err.request.decision_deadline}); the request expired`;
    return { code: EXIT.expired, event: "expired", message: `${why}.` };
  }
  if (err instanceof CancelledError) return { code: EXIT.cancelled, event: "cancelled", message: "the request was cancelled." };
  if (err instanceof WaitTimeoutError) return { code: EXIT.timeout, event: "timeout", message: `${err.message}` };
  if (err instanceof GrantVerificationError) {
    return { code: EXIT.grantRefused, event: "grant_refused", message: `the grant was refused before running (${err.failure}): ${err.message}` };
  }
  if (err instanceof ConnectionError) return { code: EXIT.unreachable, event: "unreachable", message: `the Countersign server could not be reached: ${err.message}` };
  if (err instanceof ApiError) return apiFailure(err);
  return { code: EXIT.error, event: "error", message: err instanceof Error ? err.message : String(err) };
}

function apiFailure(err: ApiError): Failure {
  const issues = err.issues.length ? `\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}` : "";
  switch (err.code) {
    case "idempotency_conflict":
      return {
        code: EXIT.grantRefused,
        event: "grant_refused",
        message: `this --idempotency-key was already used for a different request (another command, cwd, environment or context): ${err.message}.`,
      };
    case "already_executed":
      return { code: EXIT.grantRefused, event: "grant_refused", message: `this approval was already used: ${err.message}.` };
    case "not_approved":
    case "cancelled":
    case "denied":
      return { code: EXIT.grantRefused, event: "grant_refused", message: `the approval could not be claimed: ${err.message}.` };
    case "expired":
      return { code: EXIT.expired, event: "expired", message: `${err.message}.` };
    case "unauthorized":
    case "agent_revoked":
      return { code: EXIT.usage, event: "unauthorized", message: `the agent key (COUNTERSIGN_KEY) was refused: ${err.message}` };
    case "invalid_request":
    case "payload_too_large":
      return { code: EXIT.usage, event: "invalid_request", message: `the server refused the request as filed: ${err.message}${issues}` };
    default:
      return { code: err.status === 400 ? EXIT.usage : EXIT.error, event: "error", message: `${err.message}${issues}` };
  }
}
