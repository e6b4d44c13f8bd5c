// @countersign/sdk/mcp: the MCP gateway (hold another MCP server's tool calls for approval) and
// the tools server (Countersign's agent API as MCP tools), for embedding; the `countersign mcp`
// commands are their command-line doors.
export { CallLedger, callFingerprint, deriveIdempotencyKey, type ToolCall } from "./call-ledger.js";
export { connectDownstream, downstreamEnv } from "./downstream.js";
export { McpGateway, type GatewayOptions } from "./gateway.js";
export { actionSegment, defaultAction, isActionName, isEnvironmentName } from "./names.js";
export { MCP_HTTP_PATH, serveHttp, serveStdio, type Connectable } from "./serve.js";
export { createToolsServer, MAX_WAIT_SECONDS, TOOLS_SERVER_NAME } from "./tools-server.js";
export { parseToolMap, routeTool, ToolMapError, type RouteDefaults, type ToolMap, type ToolRoute } from "./tool-map.js";
