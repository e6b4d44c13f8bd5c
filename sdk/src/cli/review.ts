// `countersign review list|show|approve|deny`: a reviewer decides from a terminal with their
// personal token (COUNTERSIGN_REVIEWER_TOKEN) over the reviewer API. The server applies the
// console's rules to every call; a refusal (self-approval, not eligible, step-up, sign in again,
// expired) is printed as the server words it and exits non-zero. `--json` prints what the server
// answered, for scripts.
import { type Command, type CommanderError } from "commander";
import { ApiError, ConnectionError } from "../errors.js";
import { Reviewer, type ReviewView } from "../reviewer.js";
import type { RequestView } from "../types.js";
import { EXIT, UsageError } from "./exit-codes.js";

const REVIEW_HELP = `
The server and token come from COUNTERSIGN_URL and COUNTERSIGN_REVIEWER_TOKEN (csr_…, created on
the console's Account page under Personal tokens; scope read to list and show, decide to vote).
Every vote goes through the console's rules, with your groups confirmed at that moment: you never
approve a request you own or that was filed on your behalf, only members of its approver groups
decide it, and requests whose rule needs a fresh sign-in (step-up) are approved in the console.

Exit codes:
  0    done
  1    the server refused: not eligible, self-approval, step-up required (use the console),
       sign in again (groups could not be confirmed), already voted or decided, missing scope
  2    usage: bad flags, a deny without --note, COUNTERSIGN_URL or COUNTERSIGN_REVIEWER_TOKEN
       missing or refused (unknown, revoked or expired token)
  4    the request expired before the vote
  8    the Countersign server could not be reached
`;

/** Commander's own usage errors exit 2, like every other usage error here. */
const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : EXIT.usage);

export function registerReview(program: Command): void {
  const review = program
    .command("review")
    .description("Decide requests as a reviewer, with your personal token: list, show, approve, deny.")
    .addHelpText("after", REVIEW_HELP)
    .exitOverride(usageExit)
    .showHelpAfterError("(countersign review --help shows the commands and exit codes)");

  review
    .command("list")
    .description("Pending requests you may vote on now, riskiest then newest first.")
    .option("--json", "the server's answer as JSON on stdout")
    .exitOverride(usageExit)
    .action(async (opts: { json?: boolean }) => process.exit(await run(opts, async (r) => printList(await r.list(), opts))));

  review
    .command("show")
    .description("A request, whole: intent, parameters, risk, policy, votes, and whether you may vote.")
    .argument("<id>", "the request id")
    .option("--json", "the server's answer as JSON on stdout")
    .exitOverride(usageExit)
    .action(async (id: string, opts: { json?: boolean }) => process.exit(await run(opts, async (r) => printShow(r, await r.show(id), opts))));

  review
    .command("approve")
    .description("Approve a request as yourself.")
    .argument("<id>", "the request id")
    .option("--note <text>", "why (recorded with your vote)")
    .option("--json", "the request as it now stands, as JSON on stdout")
    .exitOverride(usageExit)
    .action(async (id: string, opts: { note?: string; json?: boolean }) =>
      process.exit(await run(opts, async (r) => printVote("approved", await r.approve(id, opts.note), opts))),
    );

  review
    .command("deny")
    .description("Deny a request as yourself, with a note: one eligible denial ends it.")
    .argument("<id>", "the request id")
    .requiredOption("--note <text>", "why (required to deny)")
    .option("--json", "the request as it now stands, as JSON on stdout")
    .exitOverride(usageExit)
    .action(async (id: string, opts: { note: string; json?: boolean }) =>
      process.exit(await run(opts, async (r) => printVote("denied", await r.deny(id, opts.note), opts))),
    );
}

/** The client from COUNTERSIGN_URL and COUNTERSIGN_REVIEWER_TOKEN, or a UsageError naming what is missing. */
function reviewer(): Reviewer {
  for (const [name, what] of [
    ["COUNTERSIGN_URL", "the Countersign server, e.g. https://countersign.example.com"],
    ["COUNTERSIGN_REVIEWER_TOKEN", "your personal token (csr_…), created on the console's Account page"],
  ] as const) {
    if (!process.env[name]) throw new UsageError(`${name} is not set (${what}).`);
  }
  try {
    return new Reviewer();
  } catch (err) {
    throw new UsageError(`COUNTERSIGN_URL: ${(err as Error).message}`);
  }
}

/** Runs one subcommand; every failure becomes a message on stderr and its exit code. */
async function run(opts: { json?: boolean }, body: (r: Reviewer) => Promise<void>): Promise<number> {
  try {
    await body(reviewer());
    return EXIT.ok;
  } catch (err) {
    const { code, message } = failureOf(err);
    process.stderr.write(opts.json ? `${JSON.stringify({ error: errorJson(err, message) })}\n` : `countersign review: ${message}\n`);
    return code;
  }
}

function errorJson(err: unknown, message: string): { code: string; message: string } {
  return err instanceof ApiError ? { code: err.code, message } : { code: err instanceof UsageError ? "usage" : "error", message };
}

function failureOf(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof ConnectionError) return { code: EXIT.unreachable, message: `the Countersign server could not be reached: ${err.message}` };
  if (err instanceof ApiError) {
    const issues = err.issues.length ? `\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}` : "";
    if (err.code === "unauthorized") return { code: EXIT.usage, message: `your reviewer token (COUNTERSIGN_REVIEWER_TOKEN) was refused: ${err.message}` };
    if (err.code === "invalid_request" || err.code === "invalid_json") return { code: EXIT.usage, message: `${err.message}${issues}` };
    if (err.code === "expired") return { code: EXIT.expired, message: err.message };
    return { code: EXIT.error, message: `${err.message}${issues}` };
  }
  return { code: EXIT.error, message: err instanceof Error ? err.message : String(err) };
}

// ── output ───────────────────────────────────────────────────────────────────────────────────

const out = (text: string): void => void process.stdout.write(`${text}\n`);

/** `in 42m`, `in 3h 05m`, or `passed` — how long a reviewer has left. */
function left(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (ms <= 0) return "passed";
  const m = Math.floor(ms / 60_000);
  if (m < 1) return `in ${Math.ceil(ms / 1000)}s`;
  if (m < 60) return `in ${m}m`;
  return `in ${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

const yourMove = (r: ReviewView) => (r.you.may_approve && r.you.may_deny ? "approve/deny" : r.you.may_deny ? "deny only" : r.you.may_approve ? "approve only" : "—");

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

function printList(list: { items: ReviewView[]; truncated: boolean }, opts: { json?: boolean }): void {
  if (opts.json) return out(JSON.stringify(list, null, 2));
  if (list.items.length === 0) return out("Nothing waits for your decision.");
  const rows = [["ID", "ACTION", "RESOURCE", "ENVIRONMENT", "RISK", "APPROVALS", "DEADLINE", "YOU MAY"]];
  for (const r of list.items) {
    rows.push([r.id, r.action, r.resource, r.environment, `${r.risk.level} ${r.risk.score}`, `${r.approvals.count}/${r.approvals.required}`, left(r.decision_deadline), yourMove(r)]);
  }
  out(table(rows));
  if (list.truncated) out(`(the first ${list.items.length}; decide some and list again for more)`);
}

function printShow(reviewer: Reviewer, r: ReviewView, opts: { json?: boolean }): void {
  if (opts.json) return out(JSON.stringify(r, null, 2));
  const lines = [
    `${r.action} on ${r.resource} in ${r.environment}   [${r.status}]`,
    `id           ${r.id}`,
    `agent        ${r.agent.name} (owner ${r.agent.owner})${r.on_behalf_of ? `, on behalf of ${r.on_behalf_of}` : ""}`,
    `intent       ${r.intent}`,
    `risk         ${r.risk.level} ${r.risk.score}${r.risk.reasons.map((x) => `\n               +${x.points} ${x.message}`).join("")}`,
    `policy       rule ${r.policy.rule}: ${r.policy.explanation}`,
    `approvers    ${r.policy.approver_groups.join(", ") || "(none)"}${r.policy.step_up ? " — approving needs a fresh sign-in (console only)" : ""}`,
    `approvals    ${r.approvals.count} of ${r.approvals.required}`,
    ...r.reviews.map((v) => `  ${v.decision === "approve" ? "approved" : "denied"} by ${v.name} via ${v.channel} at ${v.at}${v.note ? `: ${v.note}` : ""}`),
    `deadline     ${r.decision_deadline} (${left(r.decision_deadline)})`,
    `params_hash  ${r.params_hash}`,
    `origin       ${JSON.stringify(r.origin)}`,
    "context",
    JSON.stringify(r.context, null, 2),
    "",
    `you may approve: ${r.you.may_approve ? "yes" : `no — ${r.you.why_not_approve?.message ?? ""}`}`,
    `you may deny:    ${r.you.may_deny ? "yes" : `no — ${r.you.why_not_deny?.message ?? ""}`}`,
    `console          ${reviewer.consoleUrl(r.id)}`,
  ];
  out(lines.join("\n"));
}

function printVote(what: "approved" | "denied", view: RequestView, opts: { json?: boolean }): void {
  if (opts.json) return out(JSON.stringify(view, null, 2));
  const standing = view.status === "pending" ? `pending, ${view.approvals.count} of ${view.approvals.required} approvals` : view.status;
  out(`You ${what} ${view.id} (${view.action} on ${view.resource} in ${view.environment}); the request is now ${standing}.`);
}
