// One value per process, whichever copy of a module asks. Under `npm start` the agent API's modules
// are loaded by server.ts and again inside Next's server bundle (and `next dev` reloads them), so
// module-level state would split in two: the database pool, the NOTIFY hub, the background passes
// and the commit hooks live here instead, under one namespaced key each.
const store = ((globalThis as typeof globalThis & { __countersign?: Map<string, unknown> }).__countersign ??= new Map());

/** The process's value under `key`, created by `init` on first use. */
export function processWide<T>(key: string, init: () => T): T {
  if (!store.has(key)) store.set(key, init());
  return store.get(key) as T;
}

/** Replaces (or with `undefined`, forgets) the process's value under `key`. */
export function setProcessWide<T>(key: string, value: T | undefined): void {
  if (value === undefined) store.delete(key);
  else store.set(key, value);
}

/** The current value under `key`, if any, without creating it. */
export function peekProcessWide<T>(key: string): T | undefined {
  return store.get(key) as T | undefined;
}
