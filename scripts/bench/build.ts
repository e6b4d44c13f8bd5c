// The production build the benches measure: built when missing (or asked for), otherwise reused,
// with a warning when sources changed since (the figures would be of the older code).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../e2e/support/servers";

export function ensureBuild(rebuild: boolean, log: (line: string) => void): void {
  const buildId = path.join(REPO_ROOT, ".next", "BUILD_ID");
  if (rebuild || !fs.existsSync(buildId)) {
    log(rebuild ? "rebuilding (next build)" : "no production build yet: next build");
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (r.status !== 0) throw new Error("next build failed");
    return;
  }
  const builtAt = fs.statSync(buildId).mtimeMs;
  const newer = sourcesNewestFirst(["app", "lib", "db", "components", "instrumentation.ts", "next.config.ts"]).filter((f) => f.mtimeMs > builtAt);
  if (newer.length > 0) {
    log(
      `⚠ reusing .next (built ${new Date(builtAt).toISOString()}), but ${newer.length} source file(s) changed since, e.g. ${newer[0]!.file}; pass --rebuild to measure them`,
    );
  }
}

function sourcesNewestFirst(roots: string[]): { file: string; mtimeMs: number }[] {
  const out: { file: string; mtimeMs: number }[] = [];
  const walk = (p: string) => {
    const abs = path.join(REPO_ROOT, p);
    if (!fs.existsSync(abs)) return;
    const st = fs.statSync(abs);
    if (st.isDirectory()) for (const e of fs.readdirSync(abs)) walk(path.join(p, e));
    else if (/\.(ts|tsx|sql|json)$/.test(p)) out.push({ file: p, mtimeMs: st.mtimeMs });
  };
  roots.forEach(walk);
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs);
}
