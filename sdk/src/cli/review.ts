// Placeholder until the reviewer CLI lands (countersign review list|show|approve|deny).
import type { Command } from "commander";

export function registerReview(_program: Command): void {}
