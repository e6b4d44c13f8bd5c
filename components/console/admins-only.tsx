/** What a non-admin sees on an admin page (the page's reads refuse them anyway). */
export function AdminsOnly({ what }: { what: string }) {
  return (
    <div role="alert" className="rounded-lg border border-slate-200 bg-white p-8 text-center">
      <h1 className="font-semibold">Admins only</h1>
      <p className="mt-1 text-sm text-slate-600">{what} needs the admin role.</p>
    </div>
  );
}
