// A table that may be wider than a phone: it scrolls sideways inside its own box (never the page),
// as a named region a keyboard can reach (axe: scrollable-region-focusable). `relative` keeps the
// table's screen-reader-only text, which is absolutely positioned, inside the box as well.
export function TableScroll({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className="relative mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
    >
      {children}
    </div>
  );
}
