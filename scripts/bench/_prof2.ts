import postgres from "postgres";
const sql = postgres(process.argv[2]!, { max: 2 });
const N = 200_000, PAGE = 5000;
async function run(label: string, cols: string) {
  const t = performance.now(); let n = 0;
  for (let s = 0; s < N; s += PAGE) { const rows = await sql.unsafe(`select ${cols} from audit_events where seq > $1 order by seq limit ${PAGE}`, [s]); n += rows.length; }
  console.log(label, (((performance.now() - t) * 1e6) / N / 1000).toFixed(1), "s/1M", n);
}
await run("star", "*");
await run("needed", "seq, event_id, occurred_at, type, actor_kind, actor_id, actor, channel, request_id, agent_id, action, environment, risk_level, outcome, payload, prev_hash, hash");
await run("needed-text", "seq, event_id, occurred_at::text, type, actor_kind, actor_id, actor::text, channel, request_id, agent_id, action, environment, risk_level, outcome, payload::text, prev_hash, hash");
await run("seq only", "seq");
await run("payload text only", "payload::text");
const t = performance.now();
for (let s = 0; s < N; s += PAGE) { await sql.unsafe(`select count(*) from (select seq, event_id, occurred_at::text, type, actor_kind, actor_id, actor::text, channel, request_id, agent_id, action, environment, risk_level, outcome, payload::text, prev_hash, hash from audit_events where seq > $1 order by seq limit ${PAGE}) s`, [s]); }
console.log("pg-side only (count over needed-text)", (((performance.now() - t) * 1e6) / N / 1000).toFixed(1));
await sql.end();
