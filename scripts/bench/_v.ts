import { openDatabase } from "@/db/client";
import { verifyAuditChain } from "@/lib/audit/verify";
const h = await openDatabase({ databaseUrl: process.argv[2], poolSize: 3 });
const t = performance.now();
const r = await verifyAuditChain({ db: h.db, onProgress: () => {} });
console.log(JSON.stringify(r), ((performance.now() - t) / 1000).toFixed(1), "s", JSON.stringify(process.cpuUsage()));
await h.close();
