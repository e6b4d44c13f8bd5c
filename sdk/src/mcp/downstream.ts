// The gateway's connection to the downstream MCP server: a child process speaking MCP over stdio.
// The child inherits the gateway's whole environment (that is where the downstream's credentials
// live; the agent never sees them) except the Countersign agent key, which the downstream server
// has no business holding: with it, it could file and claim approvals itself.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const WITHHELD = new Set(["COUNTERSIGN_KEY"]);

/** The gateway's environment as the downstream child gets it. */
export function downstreamEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !WITHHELD.has(e[0])));
}

/** Spawns `command args…` and completes the MCP handshake with it. Its stderr goes to ours. */
export async function connectDownstream(command: string, args: string[], clientVersion: string): Promise<Client> {
  const client = new Client({ name: "countersign-gateway", version: clientVersion });
  await client.connect(new StdioClientTransport({ command, args, env: downstreamEnv(), stderr: "inherit" }));
  return client;
}
