import { openDatabase } from "@/db/client";
import { selectSealedAfter } from "@/db/queries/audit";
import { chainHash } from "@/lib/audit/chain";
const h = await openDatabase({ databaseUrl: process.argv[2], poolSize: 2 });
const N = 200_000, PAGE = 5000;
let t = performance.now(); const all = [];
for (let s = 0; s < N; s += PAGE) all.push(...await selectSealedAfter(h.db, s, PAGE));
console.log("fetch ms/1M", ((performance.now() - t) * 1e6) / N / 1000);
t = performance.now(); let prev = all[0]!.prevHash!;
for (const r of all) { prev = chainHash(r.prevHash!, r, r.seq!); }
console.log("hash ms/1M", ((performance.now() - t) * 1e6) / N / 1000);
await h.close();
