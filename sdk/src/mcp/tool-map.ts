// The gateway's map file: which downstream tools are held for approval and under what policy
// action, resource and environment. Parsed once at start-up with zod, so a typo (`enviroment`,
// an action the server would refuse) stops the gateway with a message naming the line's path
// instead of surfacing as a failed tool call hours later.
//
//   environment: production          # default for every tool (else --environment, else production)
//   resource: mcp://github           # default resource (else mcp://<server>)
//   default: hold                    # tools not listed: hold (default) or pass
//   tools:
//     search_issues: pass            # never filed, forwarded at once
//     merge_pr:                      # held as `github.pr.merge` instead of mcp.<server>.merge_pr
//       action: github.pr.merge
//       resource: github://acme/web
//       environment: production
//       intent: Merge a pull request  # what the reviewer reads first
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { defaultAction, isActionName, isEnvironmentName } from "./names.js";

const action = z.string().refine(isActionName, "must be a dotted lower-case action name such as github.pr.merge");
const environment = z.string().refine(isEnvironmentName, "must be a lower-case environment name such as production");
const resource = z.string().min(1).max(1000);

const heldTool = z.strictObject({
  action: action.optional(),
  resource: resource.optional(),
  environment: environment.optional(),
  intent: z.string().trim().min(1).max(4000).optional(),
});

const mapFile = z.strictObject({
  environment: environment.optional(),
  resource: resource.optional(),
  default: z.enum(["hold", "pass"]).default("hold"),
  tools: z.record(z.string().min(1), z.union([z.literal("pass"), z.literal("hold"), heldTool])).default({}),
});

export type ToolMap = z.infer<typeof mapFile>;

/** How the gateway treats one tool call. */
export type ToolRoute =
  | { kind: "pass" }
  | { kind: "hold"; action: string; resource: string; environment: string; intent: string };

export class ToolMapError extends Error {
  constructor(
    readonly source: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`${source}: invalid MCP tool map\n${issues.map((i) => `  ${i.path || "(top)"}: ${i.message}`).join("\n")}`);
    this.name = "ToolMapError";
  }
}

/** Parses a map file's text (YAML or JSON). An empty file is the empty map: every tool held under its default action. */
export function parseToolMap(text: string, source = "map"): ToolMap {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ToolMapError(source, [{ path: "", message: (err as Error).message }]);
  }
  const parsed = mapFile.safeParse(raw);
  if (!parsed.success) {
    throw new ToolMapError(
      source,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    );
  }
  return parsed.data;
}

export type RouteDefaults = {
  /** The gateway's --server name. */
  server: string;
  /** --environment, when given: beats the map's top-level environment, not a tool's own. */
  environment?: string;
};

/**
 * The route for `tool`: its own entry, else the map's default. A held tool's environment is the
 * tool's own, else --environment, else the map's, else `production` (a gateway usually sits in
 * front of real credentials; erring towards the stricter rules is the safe default).
 */
export function routeTool(map: ToolMap, tool: string, defaults: RouteDefaults): ToolRoute {
  const entry = Object.hasOwn(map.tools, tool) ? map.tools[tool] : map.default;
  if (entry === "pass") return { kind: "pass" };
  const own = entry === "hold" || entry === undefined ? {} : entry;
  return {
    kind: "hold",
    action: own.action ?? defaultAction(defaults.server, tool),
    resource: own.resource ?? map.resource ?? `mcp://${defaults.server}`,
    environment: own.environment ?? defaults.environment ?? map.environment ?? "production",
    intent: own.intent ?? `Call the MCP tool "${tool}" on server "${defaults.server}" with the arguments shown.`,
  };
}
