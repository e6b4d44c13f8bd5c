// The one "page not found" body: the console's 404 (inside its navigation) and the root one use it.
import Link from "next/link";

export function NotFoundPanel({ home = "/", homeLabel = "Go to the inbox" }: { home?: string; homeLabel?: string }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center">
      <p className="font-mono text-sm font-semibold text-indigo-700">404</p>
      <h1 className="mt-2 text-xl font-semibold tracking-tight">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">
        Nothing lives at this address. It may have been mistyped, or the link may be out of date.
      </p>
      <Link
        href={home}
        className="mt-5 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
      >
        {homeLabel}
      </Link>
    </div>
  );
}
