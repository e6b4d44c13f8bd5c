// @countersign/sdk/mcp: the MCP gateway and tools server (to come).
export {};
