import type { NextConfig } from "next";
import { staticSecurityHeaders } from "./lib/http/security-headers";

const nextConfig: NextConfig = {
  // PGlite ships WASM and must be loaded by Node as-is; pino uses worker-thread transports.
  serverExternalPackages: ["@electric-sql/pglite", "pino", "postgres", "proper-lockfile"],
  poweredByHeader: false,
  // The build type-checks the app only; `npm run typecheck` covers tests, e2e and scripts too.
  typescript: { tsconfigPath: "tsconfig.next.json" },
  typedRoutes: false,
  async headers() {
    const production = process.env.NODE_ENV === "production";
    return [{ source: "/:path*", headers: Object.entries(staticSecurityHeaders(production)).map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
