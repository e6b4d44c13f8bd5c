import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Logo } from "@/components/console/logo";
import { signIn, signInMethods } from "@/lib/auth/auth";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { getViewer } from "@/lib/auth/session";
import { PERSONAS } from "@/lib/demo/personas";

export const metadata: Metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  AccessDenied: "Access denied by the identity provider.",
  EmailNotVerified: "Sign-in refused: your identity provider did not vouch for your e-mail address (it is not verified). Verify it there, then try again.",
  NotOrgMember: "Sign-in refused: your GitHub account is not an active member of an organization allowed to use this Countersign.",
  Configuration: "Sign-in failed: the identity provider did not return a verified e-mail address, or is misconfigured.",
  CallbackRouteError: "Sign-in failed while talking to the identity provider. Try again.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const redirectTo = safeRedirectPath(params.callbackUrl);
  if (await getViewer()) redirect(redirectTo);
  const methods = signInMethods();
  const error = params.error ? (ERRORS[params.error] ?? "Sign-in failed. Try again.") : null;

  return (
    <main className="grid min-h-screen place-items-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <Logo />
        <h1 className="mt-6 text-xl font-semibold">Sign in to review requests</h1>
        <p className="mt-1 text-sm text-slate-600">Use your company identity. Your groups decide what you may approve.</p>
        {error && (
          <p role="alert" className="mt-4 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800">
            {error}
          </p>
        )}
        <div className="mt-6 space-y-3">
          {methods.okta && (
            <form
              action={async () => {
                "use server";
                await signIn("okta", { redirectTo });
              }}
            >
              <button className="w-full rounded-md bg-slate-900 px-4 py-2.5 text-sm font-medium text-white hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                Sign in with Okta
              </button>
            </form>
          )}
          {methods.github && (
            <form
              action={async () => {
                "use server";
                await signIn("github", { redirectTo });
              }}
            >
              <button className="w-full rounded-md border border-slate-300 px-4 py-2.5 text-sm font-medium hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                Sign in with GitHub
              </button>
            </form>
          )}
        </div>
        {methods.dev && (
          <section aria-labelledby="dev-signin" className="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4">
            <h2 id="dev-signin" className="text-sm font-semibold text-amber-900">
              Development sign-in — demo personas
            </h2>
            <p className="mt-1 text-xs text-amber-900">
              {methods.demo
                ? "This is the demo (npm run demo, COUNTERSIGN_DEMO=1): no identity provider, so you act as a seeded persona. A real deployment never offers this; it refuses to start with it beside Okta, GitHub or PostgreSQL."
                : "No identity provider is configured and this is not production, so you can act as a seeded persona. This option does not exist in production."}
            </p>
            <ul className="mt-3 space-y-2">
              {Object.entries(PERSONAS).map(([key, p]) => (
                <li key={key}>
                  <form
                    action={async () => {
                      "use server";
                      await signIn("dev", { persona: key, redirectTo });
                    }}
                  >
                    <button className="w-full rounded-md border border-amber-300 bg-white px-3 py-2 text-left text-sm hover:bg-amber-100 focus-visible:outline-2 focus-visible:outline-indigo-600">
                      <span className="font-medium">{p.name}</span>
                      <span className="block text-xs text-slate-600">{p.groups.join(", ")}</span>
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          </section>
        )}
        {!methods.okta && !methods.github && !methods.dev && (
          <p className="mt-6 text-sm text-slate-600">No sign-in method is configured.</p>
        )}
      </div>
    </main>
  );
}
