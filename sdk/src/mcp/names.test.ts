import { describe, expect, it } from "vitest";
import { actionSegment, defaultAction, isActionName, isEnvironmentName } from "./names.js";

describe("action names for MCP tools", () => {
  it("lower-cases and replaces every character the server refuses with _", () => {
    expect(actionSegment("GitHub")).toBe("github");
    expect(actionSegment("create-PR")).toBe("create-pr");
    expect(actionSegment("fs/write file")).toBe("fs_write_file");
    expect(actionSegment("deploy.prod")).toBe("deploy_prod");
    expect(actionSegment("données")).toBe("donn_es");
  });

  it("builds mcp.<server>.<tool> names the server accepts", () => {
    for (const [server, tool] of [
      ["fake", "deploy"],
      ["My Server", "Drop.Table"],
      ["gh", "repos/create"],
      ["x", "🚀"],
    ] as const) {
      const action = defaultAction(server, tool);
      expect(action.startsWith("mcp.")).toBe(true);
      expect(action.split(".")).toHaveLength(3);
      expect(isActionName(action), action).toBe(true);
    }
    expect(defaultAction("My Server", "Drop.Table")).toBe("mcp.my_server.drop_table");
  });

  it("refuses an empty name instead of producing an action the server rejects", () => {
    expect(() => actionSegment("")).toThrow(TypeError);
  });

  it("knows the server's action and environment rules", () => {
    expect(isActionName("db.orders.drop")).toBe(true);
    expect(isActionName("deploy")).toBe(false);
    expect(isActionName("Deploy.Service")).toBe(false);
    expect(isActionName("a..b")).toBe(false);
    expect(isEnvironmentName("production")).toBe(true);
    expect(isEnvironmentName("Prod")).toBe(false);
    expect(isEnvironmentName("")).toBe(false);
  });
});
