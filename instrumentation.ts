// Next.js start-up hook: runs once per server process (never during `next build`).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startServerRuntime } = await import("@/lib/runtime/startup");
  try {
    await startServerRuntime();
  } catch (err) {
    // Configuration and policy errors are written for humans: print them and stop.
    console.error(`\nCountersign failed to start:\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
