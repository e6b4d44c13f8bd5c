// What `countersign mcp gateway` and `countersign mcp tools` run, loaded only when one of them is
// chosen: the MCP SDK (servers, clients, transports, HTTP) takes longer to load than the rest of
// the CLI, and `countersign run` should not pay for it.
import fs from "node:fs";
import { createRequire } from "node:module";
import { Countersign } from "../client.js";
import { connectDownstream } from "./downstream.js";
import { McpGateway } from "./gateway.js";
import { MCP_HTTP_PATH, serveHttp, serveStdio, type Connectable } from "./serve.js";
import { createToolsServer } from "./tools-server.js";
import { parseToolMap, ToolMapError, type ToolMap } from "./tool-map.js";

const VERSION = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
const log = (line: string) => process.stderr.write(`${line}\n`);

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

export async function runGateway(
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

/** `countersign mcp tools`: the agent API as MCP tools. */
export async function runTools(opts: { http?: number }): Promise<void> {
  const countersign = new Countersign();
  await serve(() => createToolsServer(countersign), opts.http, "tools", async () => undefined);
}
