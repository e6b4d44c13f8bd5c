"use client";
// Filters of the audit timeline, all kept in the URL so a view can be shared, and the export of
// exactly that view. Menus apply at once; typed filters apply after a pause, on Enter or on leaving
// the field. Times are entered and shown in UTC, like every time in the console.
import { useEffect, useEffectEvent, useId, useState } from "react";
import type { FilterKey } from "@/lib/audit/timeline-filter";
import { fromUtcField, toUtcField } from "@/lib/format/time";
import { CHANNELS, isUuid, RISK_LEVELS } from "@/lib/vocabulary";
import type { Navigate } from "./data-table";
import { exportHref, hasFilters, type TimelineView } from "./timeline-url";

export type ToolbarOptions = {
  types: string[];
  environments: string[];
  outcomes: string[];
  agents: { id: string; name: string }[];
  /** Auditors and admins: show the export links. */
  canExport: boolean;
};

const labelClass = "text-xs font-medium text-slate-600";
const controlClass =
  "w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 placeholder:text-slate-400 focus-visible:border-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600";

/**
 * A typed filter: a local draft that is sent after `delay` ms of quiet, on Enter or on blur. The
 * draft follows the URL when the filter changes elsewhere (Reset), but never while the user types.
 */
function TypedFilter({
  label,
  value,
  onCommit,
  type = "text",
  delay = 400,
  placeholder,
  hideLabel,
  className,
  toField = (v: string) => v,
  fromField = (f: string) => f.trim(),
  validate,
}: {
  label: string;
  value: string;
  onCommit: (value: string) => void;
  type?: "text" | "search" | "datetime-local";
  delay?: number;
  placeholder?: string;
  hideLabel?: boolean;
  className?: string;
  toField?: (value: string) => string;
  fromField?: (field: string) => string;
  /** A message when the field cannot be a filter value yet: it is then not sent, and says why. */
  validate?: (value: string) => string | null;
}) {
  const id = useId();
  const errorId = useId();
  const [draft, setDraft] = useState(() => toField(value));
  const [sent, setSent] = useState(value);
  const [dirty, setDirty] = useState(false);
  if (!dirty && value !== sent) {
    setSent(value);
    setDraft(toField(value));
  }

  // Said once the field would have been sent (a pause, Enter, leaving it), not at every keystroke.
  const [refused, setRefused] = useState<string | null>(null);
  const problem = dirty ? refused : null;
  const commit = (field: string) => {
    const next = fromField(field);
    const why = validate?.(next) ?? null;
    setRefused(why);
    if (why) return;
    setDirty(false);
    setSent(next);
    if (next !== value) onCommit(next);
  };
  const fire = useEffectEvent(() => commit(draft));
  useEffect(() => {
    if (!dirty) return;
    const timer = setTimeout(fire, delay);
    return () => clearTimeout(timer);
  }, [dirty, draft, delay]);

  return (
    <div className={`flex flex-col gap-1 ${className ?? ""}`}>
      <label htmlFor={id} className={hideLabel ? "sr-only" : labelClass}>
        {label}
      </label>
      <input
        id={id}
        type={type}
        value={draft}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          setDraft(e.target.value);
          setDirty(true);
          setRefused(null);
        }}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? errorId : undefined}
        onBlur={() => {
          if (dirty) commit(draft);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit(draft);
          if (e.key === "Escape" && dirty) {
            setDirty(false);
            setDraft(toField(value));
          }
        }}
        className={`${controlClass} ${problem ? "border-rose-500" : ""}`}
      />
      {problem && (
        <p id={errorId} className="text-xs text-rose-700">
          {problem}
        </p>
      )}
    </div>
  );
}

const HEX64 = /^[0-9a-f]{64}$/i;
const requestIdProblem = (v: string) => (!v || isUuid(v) ? null : "A request id is a whole UUID (36 characters).");
const paramsHashProblem = (v: string) => (!v || HEX64.test(v) ? null : "A params_hash is 64 hexadecimal digits.");

function MenuFilter({
  label,
  value,
  options,
  onChange,
  all = "All",
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  all?: string;
}) {
  const id = useId();
  // A shared link may carry a value this deployment has not seen yet (or a comma list of types).
  const listed = !value || options.some((o) => o.value === value);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={controlClass}>
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

const plain = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));

function DownloadIcon() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" fill="currentColor" className="size-4 text-slate-500">
      <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
      <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
    </svg>
  );
}

export function DataTableToolbar({ view, navigate, options }: { view: TimelineView; navigate: Navigate; options: ToolbarOptions }) {
  const f = view.filters;
  const set = (key: FilterKey) => (value: string) =>
    navigate((v) => ({ ...v, filters: { ...v.filters, [key]: value || undefined }, after: undefined }));
  const filtered = hasFilters(f);

  return (
    <div role="group" aria-label="Filters" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-end gap-3">
        <TypedFilter
          label="Search events"
          hideLabel
          type="search"
          value={f.q ?? ""}
          onCommit={set("q")}
          delay={350}
          placeholder="Search type, actor, action, payload, or an id…"
          className="min-w-56 flex-1"
        />
        {filtered && (
          <button
            type="button"
            onClick={() => navigate((v) => ({ ...v, filters: {}, after: undefined }))}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            Reset
          </button>
        )}
        {options.canExport && (
          <div className="ml-auto flex gap-2">
            {(["csv", "ndjson"] as const).map((format) => (
              <a
                key={format}
                href={exportHref(view, format)}
                download
                className="inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-xs hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
              >
                <DownloadIcon />
                Export {format === "csv" ? "CSV" : "NDJSON"}
              </a>
            ))}
          </div>
        )}
      </div>
      <div className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <TypedFilter
          label="From (UTC)"
          type="datetime-local"
          value={f.from ?? ""}
          onCommit={set("from")}
          delay={800}
          toField={toUtcField}
          fromField={fromUtcField}
        />
        <TypedFilter
          label="To (UTC)"
          type="datetime-local"
          value={f.to ?? ""}
          onCommit={set("to")}
          delay={800}
          toField={toUtcField}
          fromField={fromUtcField}
        />
        <MenuFilter label="Event type" value={f.type ?? ""} options={plain(options.types)} onChange={set("type")} all="All types" />
        <TypedFilter label="Actor" value={f.actor ?? ""} onCommit={set("actor")} placeholder="e-mail or agent id" />
        <MenuFilter
          label="Agent"
          value={f.agent ?? ""}
          options={options.agents.map((a) => ({ value: a.id, label: a.name }))}
          onChange={set("agent")}
          all="All agents"
        />
        <TypedFilter label="Action" value={f.action ?? ""} onCommit={set("action")} placeholder="e.g. iam.policy.update" />
        <MenuFilter label="Environment" value={f.environment ?? ""} options={plain(options.environments)} onChange={set("environment")} />
        <MenuFilter label="Risk level" value={f.risk ?? ""} options={plain(RISK_LEVELS)} onChange={set("risk")} all="Any risk" />
        <MenuFilter label="Outcome" value={f.outcome ?? ""} options={plain(options.outcomes)} onChange={set("outcome")} all="Any outcome" />
        <MenuFilter label="Channel" value={f.channel ?? ""} options={plain(CHANNELS)} onChange={set("channel")} all="All channels" />
        <TypedFilter
          label="Request ID"
          value={f.request ?? ""}
          onCommit={set("request")}
          placeholder="uuid of a request"
          validate={requestIdProblem}
        />
        <TypedFilter
          label="Params hash"
          value={f.params_hash ?? ""}
          onCommit={set("params_hash")}
          placeholder="sha-256 of the parameters"
          validate={paramsHashProblem}
        />
      </div>
    </div>
  );
}
