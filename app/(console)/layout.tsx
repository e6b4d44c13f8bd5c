// Every console page: signed in, inside the console's frame (components/console/console-shell.tsx).
import { redirect } from "next/navigation";
import { ConsoleShell } from "@/components/console/console-shell";
import { getViewer } from "@/lib/auth/session";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  return <ConsoleShell viewer={viewer}>{children}</ConsoleShell>;
}
