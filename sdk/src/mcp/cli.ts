// `countersign mcp gateway` and `countersign mcp tools`: the command-line doors to the gateway
// (gateway.ts) and the tools server (tools-server.ts). Argument checking here; start-up in
// commands.ts, loaded only when one of them runs. stdout is the MCP channel, so every
// human-facing line goes to stderr.
import { InvalidArgumentError, type Command } from "commander";
import { isEnvironmentName } from "./names.js";

const log = (line: string) => process.stderr.write(`${line}\n`);

const integer = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
  return n;
};

const environmentName = (value: string) => {
  if (!isEnvironmentName(value)) throw new InvalidArgumentError("must be a lower-case environment name such as production.");
  return value;
};

export function registerMcp(program: Command): void {
  const mcp = program.command("mcp").description("Serve MCP: a gateway that holds another MCP server's tool calls for approval, or Countersign's own tools.");

  mcp
    .command("gateway")
    .description(
      "Run <command> as a downstream MCP server and serve its tools unchanged; calls the policy holds are filed, and " +
        "forwarded once approved, with exactly the approved arguments.",
    )
    .requiredOption("--server <name>", "name of the downstream server: held calls file as mcp.<server>.<tool>")
    .option("--map <file>", "YAML map: per-tool action, resource, environment, or pass")
    .option("--environment <env>", "environment of held calls the map gives none (default: production)", environmentName)
    .option("--wait <seconds>", "wait up to this long for a decision before answering \"pending approval\"", integer("--wait", 0, 3600), 0)
    .option("--http <port>", "serve streamable HTTP on 127.0.0.1:<port>/mcp instead of stdio", integer("--http", 0, 65535))
    .argument("<command...>", "the downstream MCP server's command, after --")
    .action(async (command: string[], opts: { server: string; map?: string; environment?: string; wait: number; http?: number }) => {
      try {
        await (await import("./commands.js")).runGateway(command, opts);
      } catch (err) {
        log(`countersign mcp gateway: ${(err as Error).message}`);
        process.exit(2);
      }
    });

  mcp
    .command("tools")
    .description("Serve Countersign's agent API as MCP tools: request_approval, get_request, wait_for_decision, claim_approval, report_result.")
    .option("--http <port>", "serve streamable HTTP on 127.0.0.1:<port>/mcp instead of stdio", integer("--http", 0, 65535))
    .action(async (opts: { http?: number }) => {
      try {
        await (await import("./commands.js")).runTools(opts);
      } catch (err) {
        log(`countersign mcp tools: ${(err as Error).message}`);
        process.exit(2);
      }
    });
}
