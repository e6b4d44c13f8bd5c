export default function AuditLoading() {
  return (
    <div role="status" aria-live="polite" className="space-y-5">
      <span className="sr-only">Loading the audit timeline…</span>
      <div className="flex flex-wrap items-end justify-between gap-4">
        {/* A flex item is as wide as its content unless capped: without max-w-full the 24rem line
            made the skeleton wider than a phone's screen while the timeline loaded. */}
        <div className="min-w-0 max-w-full space-y-2">
          <div className="h-7 w-48 animate-pulse rounded bg-slate-200" />
          <div className="h-4 w-96 max-w-full animate-pulse rounded bg-slate-200" />
        </div>
        <div className="h-7 w-52 animate-pulse rounded-full bg-slate-200" />
      </div>
      <div className="h-32 animate-pulse rounded-lg bg-white ring-1 ring-slate-200" />
      <div className="overflow-hidden rounded-lg bg-white ring-1 ring-slate-200">
        <div className="h-10 bg-slate-50" />
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} className="flex gap-4 border-t border-slate-100 px-3 py-3">
            {Array.from({ length: 6 }, (_, j) => (
              <div key={j} className="h-4 flex-1 animate-pulse rounded bg-slate-100" />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
