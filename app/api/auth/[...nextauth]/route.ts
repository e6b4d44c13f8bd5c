import { handlers } from "@/lib/auth/auth";
import { refuseOtherMethods } from "../../_lib/http";

export const { GET, POST } = handlers;

export const { PUT, PATCH, DELETE } = refuseOtherMethods("GET", "POST");
