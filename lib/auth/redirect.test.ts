import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./redirect";

describe("safeRedirectPath: only same-origin paths, parsed as URLs", () => {
  it.each([
    ["/\\evil.example", "/"],
    ["/\\/evil.example", "/"],
    ["\\\\evil.example", "/"],
    ["/\t/evil.example", "/"],
    ["/\n/evil.example", "/"],
    ["\t//evil.example", "/"],
    ["//evil.example", "/"],
    ["///evil.example", "/"],
    ["https://evil.example/", "/"],
    ["http:evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["data:text/html,hi", "/"],
    ["https://countersign.test.evil.example/", "/"],
    ["", "/"],
    [undefined, "/"],
  ])("%j → %s", (raw, want) => {
    expect(safeRedirectPath(raw as string | undefined, "https://countersign.test")).toBe(want);
  });

  it("keeps a path on this origin, with its query and fragment", () => {
    expect(safeRedirectPath("/requests/abc?x=1#h", "https://countersign.test")).toBe("/requests/abc?x=1#h");
    expect(safeRedirectPath("https://countersign.test/audit?type=a", "https://countersign.test")).toBe("/audit?type=a");
    expect(safeRedirectPath("requests/abc", "https://countersign.test")).toBe("/requests/abc");
    // Percent-encoded slashes and backslashes stay encoded: a path, not a host.
    expect(safeRedirectPath("/%5Cevil.example", "https://countersign.test")).toBe("/%5Cevil.example");
    expect(safeRedirectPath("/%2F%2Fevil.example", "https://countersign.test")).toBe("/%2F%2Fevil.example");
  });
});
