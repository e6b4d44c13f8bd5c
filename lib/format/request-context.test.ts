import { describe, expect, it } from "vitest";
import { splitContext } from "./request-context";

describe("a request's context, laid out for review", () => {
  it("gives each command its own block and keeps every other key", () => {
    const context = {
      argv: ["psql", "-c", "select 1"],
      sql: "alter table orders add column region text;",
      diff: "- a\n+ b",
      policy: { Version: "2012-10-17", Statement: [] },
      change_ticket: "CHG-20931",
      cwd: "/srv",
      env: { PGHOST: "db" },
    };
    const { blocks, tickets, rest } = splitContext(context);
    expect(blocks.map((b) => [b.key, b.kind])).toEqual([
      ["argv", "argv"],
      ["sql", "code"],
      ["diff", "diff"],
      ["policy", "code"],
    ]);
    expect(blocks[0]!.text).toBe("psql -c 'select 1'");
    expect(blocks[0]!.args).toEqual(["psql", "-c", "'select 1'"]);
    expect(blocks[3]!.text).toBe(JSON.stringify(context.policy, null, 2));
    expect(tickets).toEqual([{ key: "change_ticket", value: "CHG-20931" }]);
    expect(rest).toEqual({ cwd: "/srv", env: { PGHOST: "db" } });
  });

  it("leaves what is not the expected shape in the JSON rather than guessing", () => {
    const { blocks, tickets, rest } = splitContext({ argv: "rm -rf /tmp/x", ticket: { id: 3 }, command: null, query: "select 1", patch: "+x" });
    expect(blocks.map((b) => b.key)).toEqual(["query", "patch"]);
    expect(tickets).toEqual([]);
    expect(rest).toEqual({ argv: "rm -rf /tmp/x", ticket: { id: 3 }, command: null });
  });
});
