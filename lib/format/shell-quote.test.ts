import { describe, expect, it } from "vitest";
import { isArgv, shellCommandLine, shellQuote } from "./shell-quote";

describe("shell quoting for display", () => {
  it("leaves plain words alone and quotes the rest", () => {
    expect(shellQuote("--namespace")).toBe("--namespace");
    expect(shellQuote("image=registry.acme.test/search:v1.2")).toBe("image=registry.acme.test/search:v1.2");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("two words")).toBe("'two words'");
    expect(shellQuote("$HOME")).toBe("'$HOME'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("a;rm -rf /")).toBe("'a;rm -rf /'");
  });

  it("writes an argv as one command line", () => {
    expect(shellCommandLine(["helm", "upgrade", "search", "--set", "memory=4Gi", "--description", "Q4 resize"])).toBe(
      "helm upgrade search --set memory=4Gi --description 'Q4 resize'",
    );
  });

  it("recognises an argv", () => {
    expect(isArgv(["ls", "-l"])).toBe(true);
    expect(isArgv([])).toBe(false);
    expect(isArgv(["ls", 1])).toBe(false);
    expect(isArgv("ls -l")).toBe(false);
  });
});
