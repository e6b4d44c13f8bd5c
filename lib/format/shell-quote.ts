// An argument vector written as the POSIX shell command line that would run it: what a reviewer
// reads on the request page. Display only — the gate spawns the argv itself, never this string.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument, single-quoted unless it is made only of characters a shell leaves alone. */
export function shellQuote(arg: string): string {
  if (arg === "") return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `kubectl set image 'deploy/x' --replicas 3`: the argv as one command line. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** True for an argv: a non-empty list of strings. */
export function isArgv(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((a) => typeof a === "string");
}
