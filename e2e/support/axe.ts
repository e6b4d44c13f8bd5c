// The accessibility bar every console spec holds a page to: axe finds no serious or critical
// violation. One helper, so every spec means the same thing by "accessible".
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

export async function expectAccessible(page: Page, what = ""): Promise<void> {
  // Judged on the settled page: right after an action, a live refresh can re-render the document
  // while axe reads it (seen once in CI as a missing <title>). A violation that persists still
  // fails after the retries; one that belongs to a half-rendered frame does not.
  await expect(async () => {
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${what ? `${what}: ` : ""}${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  }).toPass({ timeout: 15_000 });
}
