// Policy action names for MCP tools. The server accepts only dotted lower-case names
// (`^[a-z0-9_-]+(\.[a-z0-9_-]+)+$`), while MCP server and tool names are free-form ("GitHub",
// "create-PR", "fs/write"): one rule turns a name into a segment, so the same tool always maps
// to the same action and a policy author can predict it.

const ACTION = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;

/** One action segment: lower-cased, every character outside [a-z0-9_-] replaced by `_`. */
export function actionSegment(name: string): string {
  const segment = name.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
  if (segment === "") throw new TypeError("An empty name cannot be an action segment.");
  return segment;
}

/** `mcp.<server>.<tool>`, each part sanitised: the action a gateway files when the map names none. */
export function defaultAction(server: string, tool: string): string {
  return `mcp.${actionSegment(server)}.${actionSegment(tool)}`;
}

/** Whether the server will accept `action` as an action name. */
export function isActionName(action: string): boolean {
  return action.length >= 3 && action.length <= 200 && ACTION.test(action);
}

/** Environment names: lower-case, `[a-z0-9_-]`, at most 64 characters (the server's rule). */
export function isEnvironmentName(environment: string): boolean {
  return /^[a-z0-9_-]{1,64}$/.test(environment);
}
