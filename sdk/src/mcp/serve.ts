// Serving an MCP server to the agent: over stdio (the default, one connection for the process's
// life) or over streamable HTTP on loopback (`--http <port>`), stateless, a fresh server per HTTP
// request as the MCP SDK's stateless example does, with DNS-rebinding protection since a browser
// page could otherwise reach a localhost port.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

/** What both Server and McpServer offer. */
export type Connectable = { connect(transport: Transport): Promise<void>; close(): Promise<void> };

/** Serves one server on this process's stdin/stdout; resolves when the client goes away (stdin ends). */
export async function serveStdio(server: Connectable): Promise<void> {
  const transport = new StdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = resolve;
  });
  await server.connect(transport);
  await ended;
  await server.close().catch(() => undefined);
}

export const MCP_HTTP_PATH = "/mcp";

/** Serves `createServer()` at http://127.0.0.1:<port>/mcp (port 0: any free port); resolves once listening. */
export async function serveHttp(createServer: () => Connectable, port: number, log: (line: string) => void = () => undefined): Promise<http.Server> {
  const hosts = (p: number) => [`127.0.0.1:${p}`, `localhost:${p}`];
  const httpServer = http.createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== MCP_HTTP_PATH) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`MCP is served at ${MCP_HTTP_PATH}\n`);
      return;
    }
    const server = createServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableDnsRebindingProtection: true,
      allowedHosts: hosts((httpServer.address() as AddressInfo).port),
    });
    res.on("close", () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch((err: Error) => {
        log(`countersign mcp: HTTP request failed: ${err.message}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal server error" }, id: null }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, "127.0.0.1", () => resolve());
  });
  return httpServer;
}
