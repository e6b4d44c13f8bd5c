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
// variant: no cache, plain sort
function v1(value: any): string {
  switch (typeof value) {
    case "string": return JSON.stringify(value);
    case "number": return JSON.stringify(value);
    case "boolean": return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) { let out = "["; for (let i = 0; i < value.length; i++) { if (i) out += ","; out += v1(value[i]); } return out + "]"; }
      const keys = Object.keys(value).sort(); let out = "{"; let first = true;
      for (const k of keys) { const v = value[k]; if (v === undefined) continue; if (!first) out += ","; out += JSON.stringify(k) + ":" + v1(v); first = false; }
      return out + "}";
    }
  }
  return "";
}
// variant: sorted copy then one JSON.stringify
function sortCopy(value: any): any {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortCopy);
  const keys = Object.keys(value).sort(); const o: any = {};
  for (const k of keys) o[k] = sortCopy(value[k]);
  return o;
}
const v2 = (c: any) => JSON.stringify(sortCopy(c));
const bench = (label: string, f: (c: any) => string) => { let best = Infinity; for (let w = 0; w < 5; w++) { const t = process.cpuUsage(); for (const c of contents) f(c); const u = process.cpuUsage(t); best = Math.min(best, (u.user + u.system) / contents.length); } console.log(label.padEnd(12), "µs/row", best.toFixed(2)); };
bench("ref", canonicalJson);
bench("fast", fastCanonicalJson);
bench("v1", v1);
bench("v2 sortcopy", v2);
bench("stringify", (c) => JSON.stringify(c));
let d = 0; for (const c of contents) if (v2(c) !== canonicalJson(c) || fastCanonicalJson(c) !== canonicalJson(c)) d++; console.log("diffs", d);
