import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const alias = { "@": root };

// Three projects: pure unit tests, and the integration suite run once against real PostgreSQL
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
          env: { COUNTERSIGN_TEST_DB: "postgres" },
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
