// `countersign`: the agent side's command line. `run` gates a command behind an approval;
// `status` and `wait` look at a request; `mcp gateway` and `mcp tools` serve MCP. The server URL
// and agent key come from COUNTERSIGN_URL and COUNTERSIGN_KEY.
import { Command } from "commander";
import { registerGate } from "./gate.js";
import { registerMcp } from "../mcp/cli.js";

const program = new Command("countersign")
  .description("Countersign for agents: hold privileged commands and MCP tool calls for a human approval.")
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerGate(program);
registerMcp(program);

await program.parseAsync(process.argv);
