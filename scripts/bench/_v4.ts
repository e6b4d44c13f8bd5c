import postgres from "postgres";
import { openDatabase } from "@/db/client";
import { selectChainPage } from "@/db/queries/audit";
const url = process.argv[2]!;
const h = await openDatabase({ databaseUrl: url, poolSize: 3 });
const raw = postgres(url, { max: 1 });
for (let w = 0; w < 2; w++) {
  let t = process.cpuUsage(); let t0 = performance.now();
  for (let s = 0; s < 100000; s += 10000) await selectChainPage(h.db, s, 10000);
  let u = process.cpuUsage(t); console.log("selectChainPage cpu s/1M", ((u.user + u.system) / 1e6 * 10).toFixed(1), "wall", ((performance.now() - t0) / 100).toFixed(1));
  t = process.cpuUsage(); t0 = performance.now();
  for (let s = 0; s < 100000; s += 10000) await raw.unsafe(`select json_build_array(seq, event_id, floor(extract(epoch from occurred_at) * 1000), type, actor_kind, actor_id, actor, channel, request_id, agent_id, action, environment, risk_level, outcome, payload, prev_hash, hash)::text as r from audit_events where seq > $1 order by seq limit 10000`, [s]);
  u = process.cpuUsage(t); console.log("raw text rows cpu s/1M", ((u.user + u.system) / 1e6 * 10).toFixed(1), "wall", ((performance.now() - t0) / 100).toFixed(1));
  t = process.cpuUsage(); t0 = performance.now();
  for (let s = 0; s < 100000; s += 10000) await raw.unsafe(`select json_agg(json_build_array(seq, event_id, floor(extract(epoch from occurred_at) * 1000), type, actor_kind, actor_id, actor, channel, request_id, agent_id, action, environment, risk_level, outcome, payload, prev_hash, hash) order by seq)::text as r from (select * from audit_events where seq > $1 order by seq limit 10000) s`, [s]);
  u = process.cpuUsage(t); console.log("raw json_agg cpu s/1M", ((u.user + u.system) / 1e6 * 10).toFixed(1), "wall", ((performance.now() - t0) / 100).toFixed(1));
}
await raw.end(); await h.close();
