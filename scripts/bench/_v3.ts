import { openDatabase } from "@/db/client";
import { selectChainPage } from "@/db/queries/audit";
import { fastCanonicalJson } from "@/lib/audit/verify";
import { canonicalJson } from "@/lib/audit/canonical";
import { chainContent } from "@/lib/audit/chain";
const h = await openDatabase({ databaseUrl: process.argv[2], poolSize: 3 });
const rows = [];
for (let s = 0; s < 50000; s += 10000) rows.push(...await selectChainPage(h.db, s, 10000));
await h.close();
const contents = rows.map(r => chainContent({ ...r, occurredAt: new Date(r.occurredAtMs) } as any, r.seq));
function keysOf(v: any, set: Set<string>) { if (v && typeof v === "object") { if (Array.isArray(v)) { for (const x of v) keysOf(x, set); } else { for (const k in v) { set.add(k); keysOf(v[k], set); } } } }
function allow(v: any) { const s = new Set<string>(); keysOf(v, s); return JSON.stringify(v, [...s].sort()); }
const bench = (label: string, f: (c: any) => string) => { for (let w = 0; w < 2; w++) { const t = process.cpuUsage(); for (const c of contents) f(c); const u = process.cpuUsage(t); if (w) console.log(label, "cpu s/1M", ((u.user + u.system) / 1e6 * 20).toFixed(1)); } };
bench("ref", canonicalJson);
bench("fast", fastCanonicalJson);
bench("allow", allow);
bench("plain stringify", (c) => JSON.stringify(c));
let d = 0; for (const c of contents) if (allow(c) !== canonicalJson(c)) d++; console.log("allow diffs", d);
