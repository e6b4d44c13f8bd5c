"use client";

// A console page that failed: shown inside the console's layout (its navigation stays), with the
// error's reference for the logs, a retry and the way back to the inbox.
import Link from "next/link";
import { useEffect } from "react";

export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    document.title = "Something went wrong — Countersign";
  }, []);
  return (
    <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 p-6">
      <h1 className="font-semibold text-rose-900">This page could not be loaded</h1>
      <p className="mt-1 text-sm text-rose-800">
        {error.digest ? `Reference ${error.digest}. ` : ""}The error has been logged. You can try again.
      </p>
      <div className="mt-4 flex flex-wrap gap-3">
        <button
          onClick={reset}
          className="rounded-md bg-rose-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-rose-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700"
        >
          Try again
        </button>
        <Link
          href="/"
          className="rounded-md border border-rose-300 bg-white px-3 py-1.5 text-sm font-medium text-rose-800 hover:bg-rose-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-700"
        >
          Back to the inbox
        </Link>
      </div>
    </div>
  );
}
