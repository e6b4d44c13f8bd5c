-- Two database roles (issue 11): the owner role runs migrations and owns every table; the server
-- runs as a runtime role that may insert and read audit events and checkpoints but never update,
-- delete, truncate them, disable their triggers or own them. Sealing (the one UPDATE the audit log
-- allows) goes through seal_audit_events, a SECURITY DEFINER function owned by the owner.
-- On the embedded database (one user) the same objects exist and the server is the owner.

-- Assigns seq / prev_hash / hash / sealed_at to unsealed events, and nothing else. The positions
-- must continue the chain head without a gap, each link naming the previous hash; the hashes
-- themselves are computed (and later verified) outside the database.
CREATE OR REPLACE FUNCTION seal_audit_events(seals jsonb, sealed timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  bad bigint;
  wanted integer;
  n integer;
BEGIN
  PERFORM pg_advisory_xact_lock(7214002);
  SELECT a.seq, a.hash INTO head_seq, head_hash FROM public.audit_events a WHERE a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
  head_seq := coalesce(head_seq, 0);
  head_hash := coalesce(head_hash, repeat('0', 64));
  SELECT count(*), min(v.seq) FILTER (WHERE NOT v.ok) INTO wanted, bad
    FROM (SELECT s.seq,
                 s.seq IS NOT DISTINCT FROM head_seq + s.ord
                 AND s.prev_hash IS NOT DISTINCT FROM coalesce(lag(s.hash) OVER (ORDER BY s.ord), head_hash)
                 AND coalesce(s.hash ~ '^[0-9a-f]{64}$', false) AS ok
            FROM ROWS FROM (jsonb_to_recordset(seals) AS (id bigint, seq bigint, prev_hash text, hash text)) WITH ORDINALITY AS s(id, seq, prev_hash, hash, ord)) v;
  IF bad IS NOT NULL OR (wanted > 0 AND EXISTS (SELECT 1 FROM jsonb_to_recordset(seals) AS s(seq bigint) WHERE s.seq IS NULL)) THEN
    RAISE EXCEPTION 'seal_audit_events: #% does not continue the chain after #%', coalesce(bad, 0), head_seq USING ERRCODE = 'check_violation';
  END IF;
  UPDATE public.audit_events a SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash, sealed_at = sealed
    FROM jsonb_to_recordset(seals) AS s(id bigint, seq bigint, prev_hash text, hash text)
   WHERE a.id = s.id AND a.seq IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> wanted THEN
    RAISE EXCEPTION 'seal_audit_events: % of % events were not unsealed events', wanted - n, wanted USING ERRCODE = 'check_violation';
  END IF;
  RETURN n;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION seal_audit_events(jsonb, timestamptz) FROM PUBLIC;
--> statement-breakpoint
-- Signed checkpoints are append-only too (the runtime role has no UPDATE or DELETE on them either).
CREATE OR REPLACE FUNCTION audit_checkpoints_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_guard();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_guard();
--> statement-breakpoint
-- The runtime role's privileges, applied by `countersign db migrate` (db/migrate.ts) after every
-- migration whenever the server's role (DATABASE_URL) is not the migrating owner: full DML on the
-- application's tables, but only SELECT and INSERT on the audit log and its checkpoints, no TRUNCATE,
-- TRIGGER or REFERENCES anywhere, and EXECUTE on the seal function. Idempotent; re-run after each
-- migration so new tables are covered.
CREATE OR REPLACE FUNCTION countersign_grant_runtime(runtime name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', runtime);
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', runtime);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', runtime);
  EXECUTE format('REVOKE UPDATE, DELETE ON public.audit_events, public.audit_checkpoints FROM %I', runtime);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', runtime);
  EXECUTE format('GRANT EXECUTE ON FUNCTION public.seal_audit_events(jsonb, timestamptz) TO %I', runtime);
  IF to_regclass('drizzle.__drizzle_migrations') IS NOT NULL THEN
    -- The server checks, without migrating, that it runs on the schema it was built for.
    EXECUTE format('GRANT USAGE ON SCHEMA drizzle TO %I', runtime);
    EXECUTE format('GRANT SELECT ON drizzle.__drizzle_migrations TO %I', runtime);
  END IF;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION countersign_grant_runtime(name) FROM PUBLIC;
