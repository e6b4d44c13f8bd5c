import postgres from "postgres";
const url = process.argv[2]!;
const raw = postgres(url, { max: 1 });
const cols = `seq, event_id, floor(extract(epoch from occurred_at) * 1000), type, actor_kind, actor_id, actor, channel, request_id, agent_id, action, environment, risk_level, outcome, payload, prev_hash, hash`;
for (let w = 0; w < 2; w++) {
  for (const [label, q] of [
    ["rows", `select json_build_array(${cols})::text as r from audit_events where seq is not null and seq > $1 order by seq limit 10000`],
    ["agg", `select json_agg(json_build_array(${cols}))::text as r from (select * from audit_events where seq is not null and seq > $1 order by seq limit 10000) s`],
    ["agg2", `select json_agg(s.r)::text as r from (select json_build_array(${cols}) as r from audit_events where seq is not null and seq > $1 order by seq limit 10000) s`],
  ] as const) {
    const t = process.cpuUsage(); const t0 = performance.now(); let parsed = 0;
    for (let s = 0; s < 100000; s += 10000) { const res = await raw.unsafe(q, [s]); if (label === "rows") { for (const r of res) parsed += (JSON.parse(r.r as string) as unknown[]).length; } else parsed += (JSON.parse(res[0]!.r as string) as unknown[]).length; }
    const u = process.cpuUsage(t); console.log(label, "node cpu s/1M", ((u.user + u.system) / 1e6 * 10).toFixed(1), "wall s/1M", ((performance.now() - t0) / 100).toFixed(1), parsed);
  }
}
await raw.end();
