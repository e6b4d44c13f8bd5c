import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and must be loaded by Node as-is; pino uses worker-thread transports.
  serverExternalPackages: ["@electric-sql/pglite", "pino", "postgres", "proper-lockfile"],
  poweredByHeader: false,
  // The build type-checks the app only; `npm run typecheck` covers tests, e2e and scripts too.
  typescript: { tsconfigPath: "tsconfig.next.json" },
  typedRoutes: false,
};

export default nextConfig;
