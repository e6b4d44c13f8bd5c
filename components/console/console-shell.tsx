// The console's frame: skip link, header with the navigation and the signed-in person, and <main>
// (the skip link's target). The console layout wraps every page in it, and the root 404 (an address
// no route claims) too, so a mistyped URL keeps the way around.
import Link from "next/link";
import { Logo } from "@/components/console/logo";
import { NavLink } from "@/components/console/nav-link";
import { signOut } from "@/lib/auth/auth";
import { can, type Viewer } from "@/lib/auth/viewer";

export function ConsoleShell({ viewer, children }: { viewer: Viewer; children: React.ReactNode }) {
  return (
    <div className="min-h-screen">
      {/* First in tab order: skips the navigation; main takes focus (tabIndex -1) so reading and Tab continue there. */}
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-4 py-2 text-sm font-semibold text-indigo-700 shadow focus:not-sr-only focus:absolute focus:left-4 focus:top-3 focus:z-50 focus:outline-2 focus:outline-offset-2 focus:outline-indigo-600"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
          <Link href="/" aria-label="Countersign inbox" className="rounded-md focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-600">
            <Logo />
          </Link>
          <nav aria-label="Console" className="flex flex-wrap gap-1 text-sm">
            <NavLink href="/">Inbox</NavLink>
            <NavLink href="/requests">Requests</NavLink>
            {can(viewer, "manage_agents") && <NavLink href="/agents">Agents</NavLink>}
            {can(viewer, "manage_people") && <NavLink href="/people">People</NavLink>}
            <NavLink href="/policy">Policy</NavLink>
            <NavLink href="/audit">Audit</NavLink>
            <NavLink href="/account">Account</NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-right leading-tight">
              <span className="block font-medium">{viewer.name}</span>
              <span className="block text-xs text-slate-500">
                {viewer.roles.join(", ") || "no role"} · {viewer.idp}
              </span>
            </span>
            <form
              action={async () => {
                "use server";
                await signOut({ redirectTo: "/signin" });
              }}
            >
              <button className="rounded-md border border-slate-300 px-3 py-1.5 text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      {viewer.roles.length === 0 ? (
        <main id="main" tabIndex={-1} className="mx-auto max-w-3xl px-6 py-16 text-center focus:outline-none">
          <h1 className="text-xl font-semibold">No access yet</h1>
          <p className="mt-2 text-slate-600">
            You are signed in as {viewer.email}, but none of your groups ({viewer.groups.join(", ") || "none"}) maps to a
            Countersign role in the policy file. Ask an administrator to add one of them.
          </p>
        </main>
      ) : (
        <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-8 focus:outline-none sm:px-6">
          {children}
        </main>
      )}
    </div>
  );
}
