// End-to-end tests against the production build. `npm run test:e2e` builds first (`next build`);
// Playwright never builds. Specs that need their own processes (several instances, one database)
// start them with e2e/support/servers.ts; console specs can add a `webServer` entry here.
import { defineConfig, devices } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  // The specs start real servers on one PostgreSQL server: one worker keeps timings honest.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium matches @playwright/test 1.64; `use.executablePath` would be ignored.
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"] },
    },
  ],
});
