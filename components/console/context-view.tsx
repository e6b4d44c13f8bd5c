// Structured parameters: diffs rendered line by line, everything else as pretty JSON. All text is
// rendered as text (React escapes it); nothing an agent or model wrote is ever treated as HTML.

function DiffBlock({ text }: { text: string }) {
  return (
    <pre className="overflow-x-auto rounded-md border border-slate-200 bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-100">
      {text.split("\n").map((line, i) => (
        <span
          key={i}
          className={
            line.startsWith("+") ? "block bg-emerald-900/60 text-emerald-100" : line.startsWith("-") ? "block bg-rose-900/60 text-rose-100" : "block"
          }
        >
          {line || " "}
        </span>
      ))}
    </pre>
  );
}

export function ContextView({ context }: { context: Record<string, unknown> }) {
  const diffs = Object.entries(context).filter(([k, v]) => typeof v === "string" && (k === "diff" || k.endsWith("_diff") || k === "patch"));
  const rest = Object.fromEntries(Object.entries(context).filter(([k]) => !diffs.some(([d]) => d === k)));
  return (
    <div className="space-y-3">
      {diffs.map(([k, v]) => (
        <div key={k}>
          <h3 className="mb-1 font-mono text-xs text-slate-500">{k}</h3>
          <DiffBlock text={String(v)} />
        </div>
      ))}
      {Object.keys(rest).length > 0 && (
        <pre className="overflow-x-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs leading-5 text-slate-800">
          {JSON.stringify(rest, null, 2)}
        </pre>
      )}
      {Object.keys(context).length === 0 && <p className="text-sm text-slate-500">No parameters given.</p>}
    </div>
  );
}
