// An address no route claims (Next answers it with status 404): the branded page, inside the
// console's frame with its navigation when someone is signed in, else with the way to sign in.
import type { Metadata } from "next";
import Link from "next/link";
import { ConsoleShell } from "@/components/console/console-shell";
import { Logo } from "@/components/console/logo";
import { NotFoundPanel } from "@/components/console/not-found-panel";
import { getViewer } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Page not found" };

export default async function NotFound() {
  const viewer = await getViewer().catch(() => null);
  if (viewer) {
    return (
      <ConsoleShell viewer={viewer}>
        <NotFoundPanel />
      </ConsoleShell>
    );
  }
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
        <NotFoundPanel home="/signin" homeLabel="Sign in" />
      </main>
    </div>
  );
}
