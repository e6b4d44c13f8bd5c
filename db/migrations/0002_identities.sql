CREATE TABLE "identities" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"idp" text NOT NULL,
	"subject" text NOT NULL,
	"groups" jsonb NOT NULL,
	"first_sign_in_at" timestamp (3) with time zone NOT NULL,
	"last_sign_in_at" timestamp (3) with time zone NOT NULL
);
