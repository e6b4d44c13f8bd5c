import Link from "next/link";

export default function AuditEventNotFound() {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center">
      <h1 className="font-semibold">No such audit event</h1>
      <p className="mt-1 text-sm text-slate-600">The link may be mistyped, or point at another deployment&rsquo;s log.</p>
      <Link href="/audit" className="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
        Back to the audit timeline
      </Link>
    </div>
  );
}
