"use client";
// The inbox's filter menus. Each shows the filter the page applied (passed from the server, which
// parsed the URL), including a value no pending request has right now: a shared
// `?environment=staging` reads "staging", never "All" over a filtered list.
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useRef } from "react";
import { RISK_LEVELS } from "@/lib/vocabulary";

type Facets = { environments: string[]; actions: string[]; agents: { id: string; name: string }[] };
export type InboxFilterValues = { risk?: string; environment?: string; agent?: string; action?: string };

/** Filter menus whose state lives in the URL, so a filtered inbox can be shared. */
export function InboxFilters({ facets, values }: { facets: Facets; values: InboxFilterValues }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();

  // The query most recently asked for: a second menu changed before the first navigation lands
  // builds on the first, not on the URL still on screen.
  const latest = useRef(params.toString());
  useEffect(() => {
    latest.current = params.toString();
  }, [params]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(latest.current);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete("after");
    latest.current = next.toString();
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`);
  };

  const select = (key: keyof InboxFilterValues, label: string, options: { value: string; label: string }[]) => {
    const value = values[key] ?? "";
    const listed = !value || options.some((o) => o.value === value);
    return (
      <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
        {label}
        <select
          // Keyed by the applied value: a navigation re-creates the menu with the new selection.
          key={value}
          name={key}
          defaultValue={value}
          onChange={(e) => set(key, e.target.value)}
          className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600"
        >
          <option value="">All</option>
          {!listed && <option value={value}>{value}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
    );
  };

  const active = Object.values(values).some(Boolean);
  return (
    <div role="group" aria-label="Filters" className="flex flex-wrap items-end gap-3">
      {select(
        "risk",
        "Risk",
        // Most severe first, like the inbox.
        [...RISK_LEVELS].reverse().map((v) => ({ value: v, label: v })),
      )}
      {select("environment", "Environment", facets.environments.map((v) => ({ value: v, label: v })))}
      {select("agent", "Agent", facets.agents.map((a) => ({ value: a.id, label: a.name })))}
      {select("action", "Action", facets.actions.map((v) => ({ value: v, label: v })))}
      {active && (
        <button
          type="button"
          onClick={() => {
            latest.current = "";
            router.replace(pathname);
          }}
          className="rounded-md px-2 py-1.5 text-sm text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
