// A console page that calls notFound() without a not-found of its own: shown inside the
// console's layout, so the navigation is there.
import type { Metadata } from "next";
import { NotFoundPanel } from "@/components/console/not-found-panel";

export const metadata: Metadata = { title: "Page not found" };

export default function ConsoleNotFound() {
  return <NotFoundPanel />;
}
