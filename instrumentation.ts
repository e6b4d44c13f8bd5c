// Next.js start-up hook: runs once per server process (never during `next build`).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startServerRuntimeOrExit } = await import("@/lib/runtime/startup");
  await startServerRuntimeOrExit();
}
