"use client";
// Filters of the Requests list, kept in the URL: menus apply at once, the action search after a
// pause, on Enter or on leaving the field. Each control shows the value the server applied.
import { useEffect, useEffectEvent, useId, useState } from "react";
import type { RequestFilterKey, RequestFilters } from "@/lib/requests/list-filter";
import { REQUEST_STATUSES, RISK_LEVELS } from "@/lib/vocabulary";

export type RequestToolbarOptions = { environments: string[]; agents: { id: string; name: string }[] };

const labelClass = "text-xs font-medium text-slate-600";
const controlClass =
  "w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 placeholder:text-slate-400 focus-visible:border-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600";

function Menu({
  label,
  value,
  options,
  onChange,
  all,
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  all: string;
}) {
  const id = useId();
  const listed = !value || options.some((o) => o.value === value);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <select id={id} key={value} defaultValue={value} onChange={(e) => onChange(e.target.value)} className={controlClass}>
        <option value="">{all}</option>
        {!listed && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function ActionSearch({ value, onCommit }: { value: string; onCommit: (value: string) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [sent, setSent] = useState(value);
  const [dirty, setDirty] = useState(false);
  if (!dirty && value !== sent) {
    setSent(value);
    setDraft(value);
  }
  const commit = (field: string) => {
    const next = field.trim();
    setDirty(false);
    setSent(next);
    if (next !== value) onCommit(next);
  };
  const fire = useEffectEvent(() => commit(draft));
  useEffect(() => {
    if (!dirty) return;
    const timer = setTimeout(fire, 400);
    return () => clearTimeout(timer);
  }, [dirty, draft]);
  return (
    <div className="col-span-2 flex flex-col gap-1 sm:col-span-1">
      <label htmlFor={id} className={labelClass}>
        Action contains
      </label>
      <input
        id={id}
        type="search"
        value={draft}
        placeholder="e.g. deploy"
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          setDraft(e.target.value);
          setDirty(true);
        }}
        onBlur={() => dirty && commit(draft)}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit(draft);
        }}
        className={controlClass}
      />
    </div>
  );
}

const plain = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));

export function DataTableToolbar({
  filters,
  options,
  onChange,
}: {
  filters: RequestFilters;
  options: RequestToolbarOptions;
  onChange: (key: RequestFilterKey | null, value: string) => void;
}) {
  const set = (key: RequestFilterKey) => (value: string) => onChange(key, value);
  const active = Object.values(filters).some(Boolean);
  return (
    <div role="group" aria-label="Filters" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="grid grid-cols-2 items-end gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <ActionSearch value={filters.action ?? ""} onCommit={set("action")} />
        <Menu label="Status" value={filters.status ?? ""} options={plain(REQUEST_STATUSES)} onChange={set("status")} all="Any status" />
        <Menu label="Environment" value={filters.environment ?? ""} options={plain(options.environments)} onChange={set("environment")} all="All" />
        <Menu label="Risk" value={filters.risk ?? ""} options={plain([...RISK_LEVELS].reverse())} onChange={set("risk")} all="Any risk" />
        <Menu
          label="Agent"
          value={filters.agent ?? ""}
          options={options.agents.map((a) => ({ value: a.id, label: a.name }))}
          onChange={set("agent")}
          all="All agents"
        />
        {active && (
          <button
            type="button"
            onClick={() => onChange(null, "")}
            className="justify-self-start rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            Clear filters
          </button>
        )}
      </div>
    </div>
  );
}
