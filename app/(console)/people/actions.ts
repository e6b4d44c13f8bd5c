"use server";

// People administration (admins only; the wrapper checks): end a person's sessions everywhere, and
// link two people who are one (their identities then count once and share exclusions).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { endPersonSessions, linkPeople, viewerActor } from "@/lib/auth/people";
import { consoleAction } from "../_lib/console-action";

export const endSessionsAction = consoleAction("manage_people", z.object({ personId: z.uuid() }), async (input, viewer) => {
  const ended = await endPersonSessions({ actor: viewerActor(viewer) }, input.personId, "ended by an admin");
  revalidatePath("/people");
  return { ended };
});

export const linkPeopleAction = consoleAction(
  "manage_people",
  z.object({ from: z.uuid({ message: "choose the person to link" }), into: z.uuid({ message: "choose who they are" }) }),
  async (input, viewer) => {
    await linkPeople({ actor: viewerActor(viewer) }, input.from, input.into);
    revalidatePath("/people");
    return { linked: true };
  },
);
