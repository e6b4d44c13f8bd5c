import { describe, expect, it } from "vitest";
import { parseToolMap, routeTool, ToolMapError } from "./tool-map.js";

const defaults = { server: "GitHub" };

describe("parseToolMap", () => {
  it("reads the documented format", () => {
    const map = parseToolMap(`
environment: staging
resource: github://acme
tools:
  search_issues: pass
  merge_pr:
    action: github.pr.merge
    resource: github://acme/web
    environment: production
    intent: Merge a pull request
  close_issue: hold
`);
    expect(map.default).toBe("hold");
    expect(map.tools.search_issues).toBe("pass");
    expect(map.tools.merge_pr).toEqual({ action: "github.pr.merge", resource: "github://acme/web", environment: "production", intent: "Merge a pull request" });
  });

  it("treats an empty file as the empty map", () => {
    expect(parseToolMap("")).toEqual({ default: "hold", tools: {} });
  });

  it("names the path of every mistake", () => {
    const bad = () =>
      parseToolMap(
        `
enviroment: production
tools:
  merge_pr: { action: "Merge PR" }
  drop: { environment: Production }
  x: maybe
`,
        "rules.yaml",
      );
    expect(bad).toThrow(ToolMapError);
    try {
      bad();
    } catch (err) {
      const e = err as ToolMapError;
      const paths = e.issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["", "tools.merge_pr.action", "tools.drop.environment", "tools.x"]));
      expect(e.message).toContain("rules.yaml");
    }
  });

  it("reports YAML syntax errors as map errors", () => {
    expect(() => parseToolMap("tools: [unclosed")).toThrow(ToolMapError);
  });
});

describe("routeTool", () => {
  it("holds an unlisted tool under mcp.<server>.<tool>, production by default", () => {
    expect(routeTool(parseToolMap(""), "Create-Repo", defaults)).toMatchObject({
      kind: "hold",
      action: "mcp.github.create-repo",
      resource: "mcp://GitHub",
      environment: "production",
    });
  });

  it("passes what the map marks pass, and everything unlisted when the default is pass", () => {
    const map = parseToolMap("tools: { search: pass, merge: hold }");
    expect(routeTool(map, "search", defaults)).toEqual({ kind: "pass" });
    expect(routeTool(map, "merge", defaults).kind).toBe("hold");
    const allowlist = parseToolMap("default: pass\ntools: { merge: {} }");
    expect(routeTool(allowlist, "search", defaults)).toEqual({ kind: "pass" });
    expect(routeTool(allowlist, "merge", defaults)).toMatchObject({ kind: "hold", action: "mcp.github.merge" });
  });

  it("takes the environment from the tool, then --environment, then the map", () => {
    const map = parseToolMap("environment: staging\ntools: { drop: { environment: production } }");
    expect(routeTool(map, "drop", { ...defaults, environment: "development" })).toMatchObject({ environment: "production" });
    expect(routeTool(map, "other", { ...defaults, environment: "development" })).toMatchObject({ environment: "development" });
    expect(routeTool(map, "other", defaults)).toMatchObject({ environment: "staging" });
  });

  it("does not mistake inherited object keys for tools", () => {
    expect(routeTool(parseToolMap(""), "constructor", defaults)).toMatchObject({ kind: "hold", action: "mcp.github.constructor" });
  });
});
