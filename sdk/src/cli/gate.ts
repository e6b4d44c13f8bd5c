// The command gate: `countersign run … -- <command>` files the exact command for approval, waits,
// claims the approval once, verifies the grant against the same parameters, and only then runs
// the command (stdio handed over, signals passed on, exit code passed through) and reports how it
// ended. `countersign status <id>` and `countersign wait <id>` look at a request. Exit codes:
// exit-codes.ts; what is bound: command-request.ts; what is shown while waiting: progress.ts.
import fs from "node:fs";
import os from "node:os";
import { InvalidArgumentError, type Command, type CommanderError } from "commander";
import { Countersign, outcome } from "../client.js";
import { WaitTimeoutError } from "../errors.js";
import type { RequestView } from "../types.js";
import { commandRequest } from "./command-request.js";
import { addCredentialOptions, workloadCredentials, type CredentialFlags } from "./credential-options.js";
import { EXIT, EXIT_CODES_HELP, failureOf, Interrupted, NotRunnable, UsageError } from "./exit-codes.js";
import { createProgress, type Progress } from "./progress.js";
import { requestSummary } from "./request-summary.js";
import { assertRunnable, startCommand } from "./run-command.js";
import { trapSignals } from "./signals.js";
import { approvers } from "./status-line.js";

type RunOptions = CredentialFlags & {
  action: string;
  env: string;
  intent: string;
  resource?: string;
  context?: string;
  envVar?: string[];
  timeout?: number;
  idempotencyKey?: string;
  json?: boolean;
};

const RUN_HELP = `
The command runs only after a reviewer approved it, the approval was claimed (once) and the grant
verified against the exact argv, working directory, --env-var values and --context JSON that were
filed. It gets the grant in COUNTERSIGN_GRANT and the request id in COUNTERSIGN_REQUEST_ID, the
terminal (stdin, stdout, stderr), and any SIGINT, SIGTERM or SIGHUP the gate receives. The gate's
own messages go to stderr only. The server and agent key come from COUNTERSIGN_URL and
COUNTERSIGN_KEY. A signal while waiting withdraws the request; --timeout withdraws it too, unless
--idempotency-key was given (run the same gate again to resume waiting).

Example:
  countersign run --action db.migrate --env production --resource orders-db \\
    --intent "Add the orders.created_at index" --env-var DATABASE_URL -- ./migrate.sh up
${EXIT_CODES_HELP}`;

const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds.");
  return Math.round(n * 1000);
};

const hint = (name: string) => `(countersign ${name} --help shows the options and exit codes)`;

/** Commander's own usage errors exit 2, like every other usage error here. */
const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : EXIT.usage);

export function registerGate(program: Command): void {
  addCredentialOptions(program
    .command("run"))
    .description("Hold a command until a human approves it, then run exactly that command, once.")
    .usage("--action <name> --env <environment> --intent <text> [options] -- <command> [args...]")
    .requiredOption("--action <name>", "the action the policy matches, e.g. db.migrate")
    .requiredOption("--env <environment>", "the environment it acts in, e.g. production")
    .requiredOption("--intent <text>", "why, in words a reviewer reads")
    .option("--resource <name>", "what it acts on (default: the command's program name, e.g. psql for /usr/bin/psql)")
    .option("--context <file>", "a JSON file of parameters to show the reviewer and bind into the request")
    .option("--env-var <NAME[=VALUE]>", "bind an environment variable's value into the request and set it for the command (repeatable)", (v: string, all: string[] = []) => [...all, v])
    .option("--timeout <seconds>", "stop waiting after this long (exit 9)", seconds)
    .option("--idempotency-key <key>", "re-running with the same key and command resumes the same request")
    .option("--json", "status as JSON lines on stderr instead of text")
    .argument("<command...>", "the command and its arguments, after --")
    .addHelpText("after", RUN_HELP)
    .exitOverride(usageExit)
    .showHelpAfterError(hint("run"))
    .action(async (argv: string[], opts: RunOptions) => process.exit(await runGate(argv, opts)));

  addCredentialOptions(program
    .command("status"))
    .description("Print a request: status, approvals, reviews, policy, result.")
    .argument("<id>", "the request id")
    .option("--json", "the raw request as JSON on stdout")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride(usageExit)
    .showHelpAfterError(hint("status"))
    .action(async (id: string, opts: CredentialFlags & { json?: boolean }) => process.exit(await showStatus(id, opts)));

  addCredentialOptions(program
    .command("wait"))
    .description("Wait for a request's decision: exit 0 once approved, or the exit code of how it ended.")
    .argument("<id>", "the request id")
    .option("--timeout <seconds>", "stop waiting after this long (exit 9)", seconds)
    .option("--json", "status as JSON lines on stderr, and the decided request as JSON on stdout")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride(usageExit)
    .showHelpAfterError(hint("wait"))
    .action(async (id: string, opts: CredentialFlags & { timeout?: number; json?: boolean }) => process.exit(await waitFor(id, opts)));
}

/**
 * The client from COUNTERSIGN_URL and COUNTERSIGN_KEY — or the workload identity a credential
 * flag names, with no key at all — or a UsageError naming what is missing.
 */
function client(flags: CredentialFlags): Countersign {
  const credentials = workloadCredentials(flags);
  for (const [name, what] of [
    ["COUNTERSIGN_URL", "the Countersign server, e.g. https://countersign.example.com"],
    ...(credentials ? [] : [["COUNTERSIGN_KEY", "this agent's key (cs_…), shown once when an admin registered the agent; or use --oidc-token-file, --github-actions-oidc or --aws"] as const]),
  ] as const) {
    if (!process.env[name]) throw new UsageError(`${name} is not set (${what}).`);
  }
  try {
    return new Countersign(credentials ? { credentials } : {});
  } catch (err) {
    throw new UsageError(`COUNTERSIGN_URL: ${(err as Error).message}`);
  }
}

function readContextFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--context ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--context ${file}: not JSON (${(err as Error).message})`);
  }
}

function approvedText(view: RequestView): string {
  const names = approvers(view);
  if (names.length === 0) return `approved by policy rule ${view.policy.rule} (no reviewer needed)`;
  return `approved by ${names.join(", ")} (${view.approvals.count} of ${view.approvals.required})`;
}

function announceFiled(progress: Progress, cs: Countersign, view: RequestView): void {
  const url = cs.consoleUrl(view.id);
  progress.say(
    "filed",
    { id: view.id, status: view.status, console_url: url, policy: { rule: view.policy.rule, decision: view.policy.decision }, risk: view.risk.level },
    `filed request ${view.id} (${view.action} on ${view.resource} in ${view.environment}; rule ${view.policy.rule}, risk ${view.risk.level})`,
  );
  if (view.status === "pending") progress.say("review", { id: view.id, console_url: url }, `review it at ${url}`);
}

async function runGate(argv: string[], opts: RunOptions): Promise<number> {
  const progress = createProgress({ stream: process.stderr, json: !!opts.json });
  const trap = trapSignals();
  let cs: Countersign | undefined;
  let pendingId: string | undefined;
  try {
    const { request, command } = commandRequest({
      action: opts.action,
      environment: opts.env,
      intent: opts.intent,
      ...(opts.resource !== undefined ? { resource: opts.resource } : {}),
      argv,
      cwd: process.cwd(),
      envVars: opts.envVar ?? [],
      ...(opts.context !== undefined ? { params: readContextFile(opts.context) } : {}),
      env: process.env,
      origin: { tool: "countersign run", host: os.hostname().slice(0, 200) },
    });
    cs = client(opts);
    await assertRunnable(command, { ...process.env, ...command.env });

    const filed = await cs.requestApproval(request, opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {});
    if (filed.status === "pending") pendingId = filed.id;
    announceFiled(progress, cs, filed);
    trap.throwIfInterrupted();
    let decided = filed;
    if (filed.status === "pending") {
      progress.watch(filed);
      decided = await cs.waitForDecision(filed.id, {
        signal: trap.signal,
        onUpdate: (v) => progress.watch(v),
        ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
      });
      progress.stop();
    } else {
      outcome(filed);
    }
    pendingId = undefined;
    progress.say("approved", { id: filed.id, approved_by: approvers(decided) }, approvedText(decided));

    // Not abortable: a claim cut off mid-flight would spend the approval and lose the grant.
    const grant = await cs.claimVerified(filed.id, request);
    try {
      trap.throwIfInterrupted();
    } catch (err) {
      const signal = (err as Interrupted).signal;
      await cs.report(filed.id, { status: "failed", detail: { error: `interrupted by ${signal} before the command started`, signal, exit_code: null, duration_ms: 0 } }).catch(() => undefined);
      throw err;
    }

    progress.say("running", { id: filed.id, grant_id: grant.claims.jti }, `grant ${grant.claims.jti} verified; running the command`);
    const { child, exited } = startCommand(command, {
      ...process.env,
      ...command.env,
      COUNTERSIGN_GRANT: grant.token,
      COUNTERSIGN_REQUEST_ID: filed.id,
    });
    trap.forwardTo(child);
    const end = await exited;

    const status = end.exitCode === 0 && !end.error ? "succeeded" : "failed";
    const detail = { exit_code: end.code, signal: end.signal, duration_ms: end.durationMs, ...(end.error ? { error: end.error } : {}) };
    let reported = true;
    await cs.report(filed.id, { status, detail }).catch((err: unknown) => {
      reported = false;
      progress.say("report_failed", { id: filed.id, message: (err as Error).message }, `could not report the result: ${(err as Error).message}`);
    });
    const how = end.error ?? (end.signal ? `ended by ${end.signal}` : `exited ${end.code}`);
    progress.say(
      "exit",
      { id: filed.id, exit_code: end.exitCode, signal: end.signal, duration_ms: end.durationMs, reported: reported ? status : null },
      `command ${how} after ${(end.durationMs / 1000).toFixed(1)} s${reported ? `; reported ${status}` : ""}`,
    );
    return end.exitCode;
  } catch (err) {
    progress.stop();
    // A request nobody will claim should not sit in a reviewer's inbox: withdraw it. A timed-out
    // wait under an idempotency key stays pending, so running the same gate again resumes it.
    const withdraw = err instanceof Interrupted || (err instanceof WaitTimeoutError && !opts.idempotencyKey);
    if (pendingId && cs && withdraw) {
      const reason = err instanceof Interrupted ? `The gate was interrupted by ${err.signal} while waiting.` : "The gate stopped waiting (--timeout).";
      await cs.cancel(pendingId, reason).then(
        () => progress.say("cancelled", { id: pendingId }, `withdrew request ${pendingId}`),
        (e: unknown) => progress.say("cancel_failed", { id: pendingId, message: (e as Error).message }, `could not withdraw request ${pendingId}: ${(e as Error).message}`),
      );
    }
    return fail(progress, err, err instanceof NotRunnable ? "" : " Nothing ran.");
  } finally {
    trap.dispose();
  }
}

function fail(progress: Progress, err: unknown, suffix = ""): number {
  const f = failureOf(err);
  const id = (err as { requestId?: unknown } | null | undefined)?.requestId;
  const text = suffix && !/[.!?]$/.test(f.message) ? `${f.message}.${suffix}` : `${f.message}${suffix}`;
  progress.say(f.event, { ...(typeof id === "string" ? { id } : {}), exit_code: f.code, message: f.message }, text);
  return f.code;
}

async function showStatus(id: string, opts: CredentialFlags & { json?: boolean }): Promise<number> {
  try {
    const cs = client(opts);
    const view = await cs.getRequest(id);
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${requestSummary(view, Date.now(), cs.consoleUrl(id))}\n`);
    return EXIT.ok;
  } catch (err) {
    return fail(createProgress({ stream: process.stderr, json: !!opts.json }), err);
  }
}

async function waitFor(id: string, opts: CredentialFlags & { timeout?: number; json?: boolean }): Promise<number> {
  const progress = createProgress({ stream: process.stderr, json: !!opts.json });
  const trap = trapSignals();
  try {
    const cs = client(opts);
    const view = await cs.waitForDecision(id, {
      signal: trap.signal,
      onUpdate: (v) => progress.watch(v),
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    });
    progress.stop();
    progress.say(view.status, { id, approved_by: approvers(view) }, view.status === "executed" ? `approved and already executed` : approvedText(view));
    if (opts.json) process.stdout.write(`${JSON.stringify(view)}\n`);
    return EXIT.ok;
  } catch (err) {
    progress.stop();
    return fail(progress, err);
  } finally {
    trap.dispose();
  }
}
