import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and must be loaded by Node as-is; pino uses worker-thread transports.
  serverExternalPackages: ["@electric-sql/pglite", "pino", "postgres", "proper-lockfile"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
