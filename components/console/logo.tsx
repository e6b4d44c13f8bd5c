export function Logo() {
  return (
    <span className="flex items-center gap-2">
      <span aria-hidden className="grid size-7 place-items-center rounded-md bg-indigo-600 text-sm font-bold text-white">
        ✓
      </span>
      <span className="font-semibold tracking-tight">Countersign</span>
    </span>
  );
}
