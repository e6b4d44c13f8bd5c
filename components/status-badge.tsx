// The console's pills and risk marks: one look for a state wherever it is shown (request status,
// audit outcome, notification delivery) and one for a risk level. Server- and client-safe.
import type { RequestStatus, ResultStatus, RiskLevel } from "@/lib/vocabulary";

const TONES = {
  amber: "bg-amber-50 text-amber-800 ring-amber-200",
  emerald: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  sky: "bg-sky-50 text-sky-800 ring-sky-200",
  rose: "bg-rose-50 text-rose-800 ring-rose-200",
  slate: "bg-slate-100 text-slate-700 ring-slate-200",
} as const;
export type Tone = keyof typeof TONES;

export function Pill({ tone, children, testId }: { tone: Tone; children: React.ReactNode; testId?: string }) {
  return (
    <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`} data-testid={testId}>
      {children}
    </span>
  );
}

// A request's status and an audit event's outcome are the same words (plus a result's own).
const STATE_TONES: Record<RequestStatus | ResultStatus, Tone> = {
  pending: "amber",
  approved: "emerald",
  succeeded: "emerald",
  executed: "sky",
  denied: "rose",
  failed: "rose",
  expired: "slate",
  cancelled: "slate",
};

/** A request's status, or what an audit event concluded. */
export function StatusBadge({ status }: { status: string }) {
  return <Pill tone={STATE_TONES[status as RequestStatus | ResultStatus] ?? "slate"}>{status}</Pill>;
}

const RISK_DOTS: Record<RiskLevel, string> = {
  low: "bg-emerald-600",
  medium: "bg-amber-500",
  high: "bg-orange-600",
  critical: "bg-rose-700",
};

/** A risk level with its coloured dot, and its score when there is one (`high · 70`). */
export function RiskBadge({ level, score }: { level: string; score?: number }) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs font-medium text-slate-700">
      <span aria-hidden className={`size-2 rounded-full ${RISK_DOTS[level as RiskLevel] ?? "bg-slate-400"}`} />
      {level}
      {score !== undefined && <> · {score}</>}
    </span>
  );
}
