import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const alias = { "@": root };

// Projects: pure unit tests, the SDK's, the admin CLI's, and the integration suite run once against real PostgreSQL
// and once against embedded PGlite (see tests/setup/*).
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["lib/**/*.test.ts"], environment: "node" },
      },
      {
        // @countersign/sdk's own tests: no app code, no database.
        test: { name: "sdk", include: ["sdk/src/**/*.test.ts"], environment: "node" },
      },
      {
        resolve: { alias },
        test: { name: "cli", include: ["tests/cli/**/*.test.ts"], environment: "node", testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        resolve: { alias },
        test: {
          name: "postgres",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/setup/postgres-global.ts"],
          setupFiles: ["tests/setup/each-file.ts"],
          // The files share one database, so they share its export leases too: room for every file's
          // exports at once (export-leases.test.ts tests the limit on a database of its own).
          env: { COUNTERSIGN_TEST_DB: "postgres", COUNTERSIGN_EXPORT_CONCURRENCY: "20" },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "pglite",
          include: ["tests/integration/**/*.test.ts"],
          exclude: ["tests/integration/**/*.postgres-only.test.ts"],
          setupFiles: ["tests/setup/each-file.ts"],
          env: { COUNTERSIGN_TEST_DB: "pglite" },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
