import { fastCanonicalJson } from "@/lib/audit/verify";
import { canonicalJson } from "@/lib/audit/canonical";
let seed = 42; const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const KEYS = ["a", "b", "B", "_x", "-k", "10", "9", "0", "01", "é", "€", "😀", "\ud83d", "__proto__", " ", "", "aa", "a b", "\u0000", "Z", "z", "constructor", "toJSON"];
const STR = ["", "x", "é", "😀", "\ud83d", "\ude00", "a\"b", "\\ud800", "line\nbreak", "\u2028", "\u007f", "tab\t", "\u0001"];
const NUM = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 123456789012345680000, 2 ** 53, -1.5, 1 / 3];
function gen(d: number): unknown {
  const r = rnd();
  if (d > 3 || r < 0.3) { const k = rnd(); return k < 0.4 ? STR[Math.floor(rnd() * STR.length)] : k < 0.8 ? NUM[Math.floor(rnd() * NUM.length)] : k < 0.9 ? rnd() < 0.5 : null; }
  if (r < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
  const o: Record<string, unknown> = {}; const n = Math.floor(rnd() * 5);
  let text = "{"; const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(JSON.stringify(KEYS[Math.floor(rnd() * KEYS.length)]) + ":" + JSON.stringify(gen(d + 1)));
  return JSON.parse("{" + parts.join(",") + "}"); void o; void text;
}
const res = (f: () => string) => { try { return "ok:" + f(); } catch (e) { return "err:" + (e as Error).constructor.name; } };
let diffs = 0, n = 0, errs = 0;
for (let i = 0; i < 200000; i++) {
  const v = gen(0); n++;
  const a = res(() => canonicalJson(v)), b = res(() => fastCanonicalJson(v));
  if (a.startsWith("err")) errs++;
  if (a !== b) { diffs++; if (diffs < 5) console.log("DIFF", JSON.stringify(v), a, b); }
}
// explicit cases
for (const v of [{ x: NaN }, { x: Infinity }, { d: new Date(0) }, [undefined, 1], { u: undefined, a: 1 }, { b: 10n } as unknown, Object.create(null)]) {
  const a = res(() => canonicalJson(v)), b = res(() => fastCanonicalJson(v)); if (a !== b) { diffs++; console.log("DIFF explicit", a, b); }
}
console.log({ n, diffs, refErrors: errs });
