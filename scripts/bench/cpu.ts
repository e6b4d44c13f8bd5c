// CPU time spent during a bench phase, read from /proc (Linux): the server under test, PostgreSQL
// (the backends serving the target's database when their pids are given — the machine is shared,
// and other databases' work is not the target's — else every postgres process), and this process
// (the load generator). On a 2-core box this says where the cores went, which is what bounds
// throughput. Approximate: a backend that exits mid-phase is lost, and PostgreSQL's shared
// background work (WAL writer, checkpointer) is not counted when pids are given.
import fs from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

export type CpuSnapshot = { serverPid: number; server: number; postgres: Map<number, number>; self: NodeJS.CpuUsage };

function ticks(pid: number): { comm: string; ms: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is parenthesised and may contain spaces: split after the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

function postgresProcesses(only?: number[]): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = only ? only.map(String) : fs.readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const t = ticks(Number(entry));
    if (t?.comm === "postgres") out.set(Number(entry), t.ms);
  }
  return out;
}

/** `postgresPids`: the backends to count (else every postgres process on the machine). */
export function cpuSnapshot(serverPid: number, postgresPids?: number[]): CpuSnapshot {
  return { serverPid, server: ticks(serverPid)?.ms ?? 0, postgres: postgresProcesses(postgresPids), self: process.cpuUsage() };
}

/** `postgresPids`: the backends now (those that started during the phase count whole). */
export function cpuSince(before: CpuSnapshot, postgresPids?: number[]): { serverMs: number; postgresMs: number; selfMs: number } {
  const serverMs = (ticks(before.serverPid)?.ms ?? before.server) - before.server;
  let postgresMs = 0;
  const pids = postgresPids ? [...new Set([...before.postgres.keys(), ...postgresPids])] : undefined;
  for (const [pid, ms] of postgresProcesses(pids)) postgresMs += ms - (before.postgres.get(pid) ?? 0);
  const self = process.cpuUsage(before.self);
  return { serverMs, postgresMs, selfMs: (self.user + self.system) / 1000 };
}
