// Running the approved command: spawned straight from the bound argv and cwd (no shell, so
// nothing re-parses what was approved), with the terminal handed over (stdin, stdout and stderr
// inherited), and its end translated the way shells do: its own code, or 128 + the signal's number.
import { spawn, type ChildProcess } from "node:child_process";
import which from "which";
import type { CommandContext } from "./command-request.js";
import { EXIT, NotRunnable, signalExitCode } from "./exit-codes.js";

/** Throws NotRunnable unless the program resolves to an executable file, as spawn would find it. */
export async function assertRunnable(command: CommandContext, env: NodeJS.ProcessEnv): Promise<void> {
  const program = command.argv[0]!;
  const found = await which(program, { nothrow: true, ...(env.PATH !== undefined ? { path: env.PATH } : {}) });
  if (!found) throw new NotRunnable(`${program}: no such executable${program.includes("/") ? "" : " on PATH"}; nothing was filed`);
}

export type CommandExit = {
  /** What the gate exits with. */
  exitCode: number;
  /** The child's own code (null when a signal ended it or it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it never started (spawn error), if so. */
  error?: string;
  durationMs: number;
};

export function startCommand(command: CommandContext, env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<CommandExit> } {
  const started = performance.now();
  const [program, ...args] = command.argv;
  const child = spawn(program!, args, { cwd: command.cwd, env, stdio: "inherit" });
  const exited = new Promise<CommandExit>((resolve) => {
    const durationMs = () => Math.round(performance.now() - started);
    child.once("error", (err: NodeJS.ErrnoException) => {
      // Only a failure to start ends it here; after a start, "exit" always follows.
      if (child.pid !== undefined) return;
      const exitCode = err.code === "ENOENT" ? EXIT.notFound : EXIT.notExecutable;
      resolve({ exitCode, code: null, signal: null, error: `could not start ${program}: ${err.message}`, durationMs: durationMs() });
    });
    child.once("exit", (code, signal) => {
      resolve({ exitCode: code ?? (signal ? signalExitCode(signal) : EXIT.error), code, signal, durationMs: durationMs() });
    });
  });
  return { child, exited };
}
