// Any path no other route claims lands here, inside the console's layout, so an unknown address
// shows the branded "not found" page with the navigation (and asks a stranger to sign in first).
import { notFound } from "next/navigation";

export default function Missing(): never {
  notFound();
}
