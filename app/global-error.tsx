"use client";

// When even the root layout fails: a branded page of its own (it replaces the layout, so it brings
// its own <html>), with the error's reference and the way back.
import "./globals.css";

export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <head>
        <title>Something went wrong — Countersign</title>
      </head>
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <main className="mx-auto max-w-xl px-6 py-16">
          <p className="flex items-center gap-2 font-semibold tracking-tight">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-indigo-600 text-sm font-bold text-white">
              ✓
            </span>
            Countersign
          </p>
          <div role="alert" className="mt-8 rounded-lg border border-rose-200 bg-rose-50 p-6">
            <h1 className="font-semibold text-rose-900">Countersign could not load this page</h1>
            <p className="mt-1 text-sm text-rose-800">
              {error.digest ? `Reference ${error.digest}. ` : ""}The error has been logged. You can try again.
            </p>
            <div className="mt-4 flex gap-3">
              <button
                onClick={reset}
                className="rounded-md bg-rose-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-rose-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700"
              >
                Try again
              </button>
              {/* A full load, not a client navigation: the app's own state may be what failed. */}
              {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
              <a href="/" className="rounded-md border border-rose-300 bg-white px-3 py-1.5 text-sm font-medium text-rose-800 hover:bg-rose-100">
                Back to the inbox
              </a>
            </div>
          </div>
        </main>
      </body>
    </html>
  );
}
