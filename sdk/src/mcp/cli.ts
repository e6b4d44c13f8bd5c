// Placeholder until the MCP gateway lands.
import type { Command } from "commander";

export function registerMcp(_program: Command): void {}
