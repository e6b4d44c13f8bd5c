// The 404 outside the console's layout (paths the console's catch-all does not reach): branded, with
// the way back in.
import type { Metadata } from "next";
import Link from "next/link";
import { Logo } from "@/components/console/logo";
import { NotFoundPanel } from "@/components/console/not-found-panel";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center px-4 py-3 sm:px-6">
          <Link href="/" aria-label="Countersign inbox" className="rounded-md focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-600">
            <Logo />
          </Link>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-3xl px-4 py-16 sm:px-6">
        <NotFoundPanel />
      </main>
    </div>
  );
}
