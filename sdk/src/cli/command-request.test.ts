import { describe, expect, it } from "vitest";
import { paramsHash } from "../params.js";
import { commandRequest } from "./command-request.js";
import { UsageError } from "./exit-codes.js";

const base = { action: "db.migrate", environment: "production", intent: "Add the index", cwd: "/srv/app", env: { DATABASE_URL: "postgres://db/orders" } };

describe("commandRequest", () => {
  it("binds argv, cwd, the chosen env vars and the --context JSON into context; resource defaults to the program's basename", () => {
    const { request, command } = commandRequest({ ...base, argv: ["/usr/bin/psql", "-c", "select 1"], envVars: ["DATABASE_URL", "MODE=dry"], params: { table: "orders" } });
    expect(request.resource).toBe("psql");
    expect(request.context).toEqual({
      argv: ["/usr/bin/psql", "-c", "select 1"],
      cwd: "/srv/app",
      env: { DATABASE_URL: "postgres://db/orders", MODE: "dry" },
      params: { table: "orders" },
    });
    expect(command).toBe(request.context);
  });

  it("gives a different params_hash for a different argument, directory or env value", async () => {
    const hash = async (over: Partial<Parameters<typeof commandRequest>[0]>) =>
      paramsHash(commandRequest({ ...base, argv: ["./migrate.sh", "up"], envVars: ["DATABASE_URL"], ...over }).request);
    const a = await hash({});
    expect(await hash({})).toBe(a);
    expect(await hash({ argv: ["./migrate.sh", "down"] })).not.toBe(a);
    expect(await hash({ cwd: "/srv/other" })).not.toBe(a);
    expect(await hash({ env: { DATABASE_URL: "postgres://db/other" } })).not.toBe(a);
  });

  it("keeps an explicit --resource", () => {
    expect(commandRequest({ ...base, argv: ["./migrate.sh"], resource: "orders-db" }).request.resource).toBe("orders-db");
  });

  it("refuses an unset or malformed --env-var, and an empty command", () => {
    expect(() => commandRequest({ ...base, argv: ["x"], envVars: ["MISSING"] })).toThrow(UsageError);
    expect(() => commandRequest({ ...base, argv: ["x"], envVars: ["1BAD=x"] })).toThrow(/not an environment variable name/);
    expect(() => commandRequest({ ...base, argv: [] })).toThrow(/no command given/);
  });
});
