// Placeholder until the command gate lands.
import type { Command } from "commander";

export function registerGate(_program: Command): void {}
