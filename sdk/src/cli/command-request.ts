// What a gated command files: the exact argv, the working directory, the environment variables
// the caller chose to bind, and the --context file's JSON go into `context`, so params_hash (and
// with it the grant) covers exactly what will be spawned. The child is started from this same
// object, never from a second copy of the arguments.
import path from "node:path";
import type { ApprovalRequest, JsonObject } from "../types.js";
import { UsageError } from "./exit-codes.js";

export type GateInput = {
  action: string;
  environment: string;
  intent: string;
  /** Default: the basename of the program (argv[0]), e.g. `psql` for `/usr/bin/psql`. */
  resource?: string;
  argv: string[];
  cwd: string;
  /** `NAME` (its current value) or `NAME=VALUE`: bound into the request and set for the command. */
  envVars?: string[];
  /** The --context file's JSON, if any. */
  params?: unknown;
  /** Where `NAME` values are read from. */
  env: NodeJS.ProcessEnv;
  origin?: ApprovalRequest["origin"];
};

/** The bound part of a gated command, as filed in `context`. */
export type CommandContext = {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  params?: unknown;
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The chosen environment variables and their values; throws UsageError for a bad or unset name. */
export function chosenEnv(specs: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const name = eq === -1 ? spec : spec.slice(0, eq);
    if (!ENV_NAME.test(name)) throw new UsageError(`--env-var ${JSON.stringify(spec)}: not an environment variable name.`);
    const value = eq === -1 ? env[name] : spec.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--env-var ${name}: ${name} is not set (give NAME=VALUE to set it).`);
    chosen[name] = value;
  }
  return chosen;
}

/** The request to file for `input`, and the bound context (what the child is spawned from). */
export function commandRequest(input: GateInput): { request: ApprovalRequest; command: CommandContext } {
  const program = input.argv[0];
  if (!program) throw new UsageError("no command given: put it after `--`, e.g. countersign run … -- ./migrate.sh up");
  const command: CommandContext = {
    argv: [...input.argv],
    cwd: input.cwd,
    env: chosenEnv(input.envVars ?? [], input.env),
    ...(input.params !== undefined ? { params: input.params } : {}),
  };
  const request: ApprovalRequest = {
    action: input.action,
    resource: input.resource ?? path.basename(program),
    environment: input.environment,
    intent: input.intent,
    context: command as unknown as JsonObject,
    ...(input.origin ? { origin: input.origin } : {}),
  };
  return { request, command };
}
