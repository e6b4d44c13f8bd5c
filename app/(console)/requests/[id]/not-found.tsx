import Link from "next/link";

export default function RequestNotFound() {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center">
      <h1 className="font-semibold">No such request</h1>
      <p className="mt-1 text-sm text-slate-600">It may have been mistyped, or belong to another deployment.</p>
      <Link href="/" className="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
        Back to the inbox
      </Link>
    </div>
  );
}
