// `countersign mcp gateway` and `countersign mcp tools`: the command-line doors to the gateway
// (gateway.ts) and the tools server (tools-server.ts). Argument checking and start-up only;
// stdout is the MCP channel, so every human-facing line goes to stderr.
import fs from "node:fs";
import { createRequire } from "node:module";
import { InvalidArgumentError, type Command } from "commander";
import { Countersign } from "../client.js";
import { connectDownstream } from "./downstream.js";
import { McpGateway } from "./gateway.js";
import { isEnvironmentName } from "./names.js";
import { MCP_HTTP_PATH, serveHttp, serveStdio, type Connectable } from "./serve.js";
import { createToolsServer } from "./tools-server.js";
import { parseToolMap, ToolMapError, type ToolMap } from "./tool-map.js";

const VERSION = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
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

/** Serves stdio until the client leaves, or HTTP until a signal; `cleanup` runs before exit. */
async function serve(createServer: () => Connectable, http: number | undefined, what: string, cleanup: () => Promise<void>): Promise<void> {
  const stop = async (code: number) => {
    await cleanup().catch(() => undefined);
    process.exit(code);
  };
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  if (http === undefined) {
    await serveStdio(createServer());
    await stop(0);
    return;
  }
  const server = await serveHttp(createServer, http, log);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : http;
  log(`countersign mcp ${what}: serving MCP at http://127.0.0.1:${port}${MCP_HTTP_PATH}`);
}

function loadMap(file: string | undefined): ToolMap {
  if (!file) return parseToolMap("");
  try {
    return parseToolMap(fs.readFileSync(file, "utf8"), file);
  } catch (err) {
    if (err instanceof ToolMapError) throw err;
    throw new Error(`Cannot read the map file ${file}: ${(err as Error).message}`);
  }
}

async function runGateway(
  command: string[],
  opts: { server: string; map?: string; environment?: string; wait: number; http?: number },
): Promise<void> {
  const [program, ...args] = command;
  if (!program) throw new Error("Give the downstream MCP server's command after `--`.");
  const map = loadMap(opts.map);
  const countersign = new Countersign();
  const downstream = await connectDownstream(program, args, VERSION);
  let closing = false;
  downstream.onclose = () => {
    if (closing) return;
    log(`countersign mcp gateway: the downstream MCP server (${program}) exited.`);
    process.exit(1);
  };
  const gateway = new McpGateway({
    countersign,
    downstream,
    server: opts.server,
    map,
    waitSeconds: opts.wait,
    log,
    ...(opts.environment ? { environment: opts.environment } : {}),
  });
  // A map entry naming no tool is almost always a typo that would leave the real tool on its default.
  const listed = new Set((await gateway.listTools()).tools.map((t) => t.name));
  for (const name of Object.keys(map.tools)) {
    if (!listed.has(name)) log(`countersign mcp gateway: warning: the map names "${name}", which ${opts.server} does not list.`);
  }
  await serve(() => gateway.createServer(), opts.http, "gateway", async () => {
    closing = true;
    await downstream.close();
  });
}

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
        await runGateway(command, opts);
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
        const countersign = new Countersign();
        await serve(() => createToolsServer(countersign), opts.http, "tools", async () => undefined);
      } catch (err) {
        log(`countersign mcp tools: ${(err as Error).message}`);
        process.exit(2);
      }
    });
}
