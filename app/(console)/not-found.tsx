// An unknown console address (see [...missing]) or a page that calls notFound(): shown inside the
// console's layout, so the navigation is there.
import type { Metadata } from "next";
import { NotFoundPanel } from "@/components/console/not-found-panel";

export const metadata: Metadata = { title: "Page not found" };

export default function ConsoleNotFound() {
  return <NotFoundPanel />;
}
