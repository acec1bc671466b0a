/**
 * permgate's tables in PostgreSQL, as ordered migrations. `permgate bindings migrate` applies the
 * ones not yet recorded in permgate_schema_migrations (each in its own transaction);
 * `permgate bindings migrate --print` prints them for an operator who applies SQL by hand.
 *
 * Every change to bindings, subjects, keys, teams or deployments notifies the channel
 * `permgate_bindings` (triggers below), so every permgate instance drops what it cached.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/** Every table the schema has (what the store reads, what `import --replace` empties). */
export const PERMGATE_TABLES = [
  'permgate_subjects',
  'permgate_deployments',
  'permgate_role_bindings',
  'permgate_service_account_keys',
  'permgate_teams',
  'permgate_team_members',
  'permgate_team_bindings',
] as const

/** The channel the triggers notify; payload: JSON { table, subject?, team?, deployment? }. */
export const NOTIFY_CHANNEL = 'permgate_bindings'

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'bindings',
    sql: `
CREATE TABLE permgate_subjects (
  id   text PRIMARY KEY,
  kind text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'serviceAccount'))
);

-- deployment -> its workspace (for workspace -> deployment cascades)
CREATE TABLE permgate_deployments (
  id           text PRIMARY KEY,
  workspace_id text NOT NULL
);

-- one role binding: system-wide when it names neither a workspace nor a deployment
CREATE TABLE permgate_role_bindings (
  id            bigserial PRIMARY KEY,
  subject_id    text NOT NULL,
  role          text NOT NULL,
  workspace_id  text,
  deployment_id text,
  CHECK (workspace_id IS NULL OR deployment_id IS NULL)
);
CREATE INDEX permgate_role_bindings_subject ON permgate_role_bindings (subject_id);

-- service-account API keys: the SHA-256 (hex) only, never the key
CREATE TABLE permgate_service_account_keys (
  key_sha256 text PRIMARY KEY CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
  subject_id text NOT NULL
);
CREATE INDEX permgate_service_account_keys_subject ON permgate_service_account_keys (subject_id);

-- teams (groups): their bindings apply to their members, and to callers whose token names them
CREATE TABLE permgate_teams (
  id text PRIMARY KEY
);
CREATE TABLE permgate_team_members (
  team_id    text NOT NULL,
  subject_id text NOT NULL,
  PRIMARY KEY (team_id, subject_id)
);
CREATE INDEX permgate_team_members_subject ON permgate_team_members (subject_id);
CREATE TABLE permgate_team_bindings (
  id            bigserial PRIMARY KEY,
  team_id       text NOT NULL,
  role          text NOT NULL,
  workspace_id  text,
  deployment_id text,
  CHECK (workspace_id IS NULL OR deployment_id IS NULL)
);
CREATE INDEX permgate_team_bindings_team ON permgate_team_bindings (team_id);

-- every change is announced on the channel: the row's subject, team or deployment
CREATE FUNCTION permgate_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
  payload json;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  payload := json_build_object('table', TG_TABLE_NAME, 'row', to_jsonb(r));
  PERFORM pg_notify('permgate_bindings', payload::text);
  IF TG_OP = 'UPDATE' THEN
    PERFORM pg_notify('permgate_bindings', json_build_object('table', TG_TABLE_NAME, 'row', to_jsonb(OLD))::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER permgate_subjects_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_subjects FOR EACH ROW EXECUTE FUNCTION permgate_notify();
CREATE TRIGGER permgate_deployments_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_deployments FOR EACH ROW EXECUTE FUNCTION permgate_notify();
CREATE TRIGGER permgate_role_bindings_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_role_bindings FOR EACH ROW EXECUTE FUNCTION permgate_notify();
CREATE TRIGGER permgate_service_account_keys_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_service_account_keys FOR EACH ROW EXECUTE FUNCTION permgate_notify();
CREATE TRIGGER permgate_team_members_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_team_members FOR EACH ROW EXECUTE FUNCTION permgate_notify();
CREATE TRIGGER permgate_team_bindings_notify AFTER INSERT OR UPDATE OR DELETE ON permgate_team_bindings FOR EACH ROW EXECUTE FUNCTION permgate_notify();
-- a TRUNCATE (as a bulk import does) invalidates everything
CREATE FUNCTION permgate_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('permgate_bindings', json_build_object('table', TG_TABLE_NAME, 'all', true)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER permgate_role_bindings_truncate AFTER TRUNCATE ON permgate_role_bindings FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
CREATE TRIGGER permgate_subjects_truncate AFTER TRUNCATE ON permgate_subjects FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
CREATE TRIGGER permgate_deployments_truncate AFTER TRUNCATE ON permgate_deployments FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
CREATE TRIGGER permgate_service_account_keys_truncate AFTER TRUNCATE ON permgate_service_account_keys FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
CREATE TRIGGER permgate_team_members_truncate AFTER TRUNCATE ON permgate_team_members FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
CREATE TRIGGER permgate_team_bindings_truncate AFTER TRUNCATE ON permgate_team_bindings FOR EACH STATEMENT EXECUTE FUNCTION permgate_notify_all();
`,
  },
  {
    version: 2,
    name: 'deployment release names',
    // Houston names a deployment by its release name in some operations (updateDeploymentImage,
    // upsertDeployment): permgate maps it to the deployment. Unique, or a name could stand for two
    // deployments; deferrable, so an import can move a name from one deployment to another in one
    // transaction. The row trigger of permgate_deployments already notifies every change of it.
    sql: `
ALTER TABLE permgate_deployments ADD COLUMN release_name text CHECK (release_name <> '');
ALTER TABLE permgate_deployments ADD CONSTRAINT permgate_deployments_release_name_key UNIQUE (release_name) DEFERRABLE INITIALLY IMMEDIATE;
`,
  },
]
