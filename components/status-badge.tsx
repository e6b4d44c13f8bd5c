const STYLES: Record<string, string> = {
  pending: "bg-amber-50 text-amber-800 ring-amber-200",
  approved: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  executed: "bg-sky-50 text-sky-800 ring-sky-200",
  denied: "bg-rose-50 text-rose-800 ring-rose-200",
  expired: "bg-slate-100 text-slate-700 ring-slate-200",
  cancelled: "bg-slate-100 text-slate-700 ring-slate-200",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLES[status] ?? STYLES.expired}`}>
      {status}
    </span>
  );
}

const RISK: Record<string, string> = {
  low: "bg-emerald-600",
  medium: "bg-amber-500",
  high: "bg-orange-600",
  critical: "bg-rose-700",
};

export function RiskBadge({ level, score }: { level: string; score: number }) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs font-medium text-slate-700">
      <span aria-hidden className={`size-2 rounded-full ${RISK[level] ?? "bg-slate-400"}`} />
      {level} · {score}
    </span>
  );
}
