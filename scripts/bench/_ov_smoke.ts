import { runTwoInstanceBench } from "./two-instance";
import { runMemoryBench } from "./soak";
const t = await runTwoInstanceBench({ connections: 8, durationSeconds: 3, warmupSeconds: 1, pool: 5, rounds: 20, warmupRounds: 3, settleMs: 50, baselineReqPerS: 1000, oneInstanceReqPerS: 500 });
console.log(t.markdown);
const m = await runMemoryBench({ soakMinutes: 0.5, soakRate: 50, connections: 8, loadSeconds: 3, pool: 5 });
console.log(m.markdown);
process.exit(0);
