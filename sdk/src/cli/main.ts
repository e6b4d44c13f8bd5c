// `countersign`: the agent side's command line. `run` gates a command behind an approval;
// `status` and `wait` look at a request; `mcp gateway` and `mcp tools` serve MCP; `review` decides
// as a reviewer. The server URL comes from COUNTERSIGN_URL, the agent key from COUNTERSIGN_KEY, a
// reviewer's personal token from COUNTERSIGN_REVIEWER_TOKEN.
import { Command } from "commander";
import { registerGate } from "./gate.js";
import { registerReview } from "./review.js";
import { registerMcp } from "../mcp/cli.js";

const program = new Command("countersign")
  .description("Countersign for agents: hold privileged commands and MCP tool calls for a human approval.")
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerGate(program);
registerReview(program);
registerMcp(program);

await program.parseAsync(process.argv);
