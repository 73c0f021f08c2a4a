/**
 * Versioned schema migrations. A migration is never edited once it has shipped: add a new one.
 * Timestamps are stored as the API renders them (`YYYY-MM-DDTHH:MM:SSZ`); JSON columns hold JSON text.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  is_superuser INTEGER NOT NULL DEFAULT 0,
  is_staff INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  last_login TEXT,
  date_joined TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE
);

CREATE TABLE platform_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE apps (
  uuid TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  structure TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

CREATE TABLE app_perms (
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created TEXT NOT NULL,
  PRIMARY KEY (app_uuid, user_id)
);

CREATE TABLE builds (
  uuid TEXT PRIMARY KEY,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  image TEXT NOT NULL,
  sha TEXT NOT NULL DEFAULT '',
  procfile TEXT NOT NULL DEFAULT '{}',
  dockerfile TEXT NOT NULL DEFAULT '',
  log TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE INDEX builds_app ON builds(app_uuid, created);

CREATE TABLE configs (
  uuid TEXT PRIMARY KEY,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  "values" TEXT NOT NULL DEFAULT '{}',
  memory TEXT NOT NULL DEFAULT '{}',
  cpu TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '{}',
  registry TEXT NOT NULL DEFAULT '{}',
  healthcheck TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

CREATE TABLE releases (
  uuid TEXT PRIMARY KEY,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  version INTEGER NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  failed INTEGER NOT NULL DEFAULT 0,
  config_uuid TEXT NOT NULL REFERENCES configs(uuid),
  build_uuid TEXT REFERENCES builds(uuid),
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  UNIQUE (app_uuid, version)
);

CREATE TABLE domains (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  domain TEXT NOT NULL UNIQUE,
  certificate_id INTEGER REFERENCES certificates(id) ON DELETE SET NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

CREATE TABLE keys (
  uuid TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  id TEXT NOT NULL UNIQUE,
  public TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

CREATE TABLE certificates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL UNIQUE,
  certificate TEXT NOT NULL,
  key TEXT NOT NULL,
  common_name TEXT NOT NULL DEFAULT '',
  expires TEXT NOT NULL,
  starts TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  san TEXT NOT NULL DEFAULT '[]',
  issuer TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

CREATE TABLE app_settings (
  uuid TEXT PRIMARY KEY,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  maintenance INTEGER NOT NULL DEFAULT 0,
  routable INTEGER NOT NULL DEFAULT 1,
  whitelist TEXT NOT NULL DEFAULT '[]',
  autoscale TEXT NOT NULL DEFAULT '{}',
  label TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE INDEX app_settings_app ON app_settings(app_uuid, created);

CREATE TABLE tls (
  uuid TEXT PRIMARY KEY,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  owner_id INTEGER NOT NULL REFERENCES users(id),
  https_enforced INTEGER,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
`,
  },
  {
    // Deis scoped key ids to their owner (a URL names only your own keys), so two users may both have
    // a key called "laptop"; and one key may identify only one user, or the builder could not tell
    // who pushed. Rebuilt because SQLite cannot drop a UNIQUE constraint in place.
    version: 3,
    name: 'keys: id unique per owner, fingerprint unique',
    sql: `
CREATE TABLE keys_v3 (
  uuid TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  public TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  UNIQUE (owner_id, id)
);
-- A second copy of the same key material could never have worked for pushes; keep the first.
INSERT OR IGNORE INTO keys_v3 (uuid, owner_id, id, public, fingerprint, created, updated)
  SELECT uuid, owner_id, id, public, fingerprint, created, updated FROM keys ORDER BY created, rowid;
DROP TABLE keys;
ALTER TABLE keys_v3 RENAME TO keys;
`,
  },
  {
    version: 4,
    name: 'tasks: long work with its log, kept after it ends',
    sql: `
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  app_id TEXT,
  state TEXT NOT NULL,
  steps TEXT NOT NULL DEFAULT '[]',
  log TEXT NOT NULL DEFAULT '',
  error TEXT,
  created TEXT NOT NULL,
  finished TEXT
);
CREATE INDEX tasks_app ON tasks(app_id, created);
`,
  },
  {
    // Tokens are kept as SHA-256 hashes, one row per session (each login issues one), so a copy of the
    // store gives no one a way in. Clients that are logged in stay logged in: their token's hash is
    // carried over. users is rebuilt without its token column (SQLite cannot drop a UNIQUE column);
    // migrations run with foreign keys off, so the tables that refer to users keep their rows, and
    // users keeps its AUTOINCREMENT counter so a deleted user's id is never given out again.
    version: 5,
    name: 'tokens: hashed, several per user',
    sql: `
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id, id);
INSERT INTO tokens (user_id, hash, created) SELECT id, sha256_hex(token), date_joined FROM users ORDER BY id;

CREATE TABLE users_v5 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  is_superuser INTEGER NOT NULL DEFAULT 0,
  is_staff INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  last_login TEXT,
  date_joined TEXT NOT NULL
);
INSERT INTO users_v5 (id, username, email, first_name, last_name, password_hash, is_superuser, is_staff, is_active, last_login, date_joined)
  SELECT id, username, email, first_name, last_name, password_hash, is_superuser, is_staff, is_active, last_login, date_joined FROM users;
DELETE FROM sqlite_sequence WHERE name = 'users_v5';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users_v5', seq FROM sqlite_sequence WHERE name = 'users';
DROP TABLE users;
ALTER TABLE users_v5 RENAME TO users;
`,
  },
  {
    // Issue 8. A public key is public: when it was unique across users, whoever registered someone
    // else's key first locked its owner out and had the owner's pushes attributed to them. Key
    // material is now unique per user only; the builder decides among a key's holders per push.
    // Builds record the image ID they were made or admitted with, so a release runs exactly that
    // image even if its tag (a name another core, or the next owner of an app name, can reuse) moves.
    version: 6,
    name: 'keys: material unique per user; builds: image id',
    sql: `
CREATE TABLE keys_v6 (
  uuid TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  public TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  UNIQUE (owner_id, id),
  UNIQUE (owner_id, fingerprint)
);
INSERT INTO keys_v6 (uuid, owner_id, id, public, fingerprint, created, updated)
  SELECT uuid, owner_id, id, public, fingerprint, created, updated FROM keys ORDER BY created, rowid;
DROP TABLE keys;
ALTER TABLE keys_v6 RENAME TO keys;
CREATE INDEX keys_fingerprint ON keys(fingerprint, created);
ALTER TABLE builds ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
`,
  },
  {
    // Issue 14. One-minute roll-ups of each app's metrics (the last 24 h; the newest minutes are in
    // the core's memory until the minute ends or the core stops), and the activity feed: who changed
    // what in which app, and what failed. Activity keeps the app's name and uuid and outlives the app
    // (a destroy is an entry too); a new app of the same name has another uuid and sees none of it.
    version: 7,
    name: 'metrics roll-ups and activity',
    sql: `
CREATE TABLE metrics_minutes (
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  minute INTEGER NOT NULL,
  requests_2xx INTEGER NOT NULL DEFAULT 0,
  requests_3xx INTEGER NOT NULL DEFAULT 0,
  requests_4xx INTEGER NOT NULL DEFAULT 0,
  requests_5xx INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  latency TEXT NOT NULL DEFAULT '[]',
  types TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (app_uuid, minute)
);
CREATE INDEX metrics_minutes_minute ON metrics_minutes(minute);
CREATE TABLE activity (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app_uuid TEXT NOT NULL,
  app TEXT NOT NULL,
  username TEXT NOT NULL,
  action TEXT NOT NULL,
  summary TEXT NOT NULL,
  ok INTEGER NOT NULL DEFAULT 1,
  reason TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL
);
CREATE INDEX activity_app ON activity(app_uuid, id);
`,
  },
  {
    // Issue 13. Backing services and the apps they are attached to. `secret` holds the generated
    // credentials sealed with the key in DEIS_HOME (main/store/seal.ts), never in plain text.
    // An app's attachments go with it; a service with attachments cannot be destroyed.
    version: 8,
    name: 'backing services',
    sql: `
CREATE TABLE services (
  uuid TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  version TEXT NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  image TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  error TEXT,
  task_id TEXT,
  secret TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE INDEX services_owner ON services(owner_id);
CREATE TABLE service_attachments (
  service_uuid TEXT NOT NULL REFERENCES services(uuid) ON DELETE CASCADE,
  app_uuid TEXT NOT NULL REFERENCES apps(uuid) ON DELETE CASCADE,
  var TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (service_uuid, app_uuid),
  UNIQUE (app_uuid, var)
);
`,
  },
  {
    // Issue 12. Targets a user adds (Kubernetes clusters from a kubeconfig, with the registry their
    // images go to) and the target each app runs on. `local` (the core's own engine) is not a row:
    // it always exists and cannot be removed. The registry password is sealed with the key in
    // DEIS_HOME (main/store/seal.ts) and never leaves the core. `promoted_from`: the uuid of the app
    // whose releases a promotion copies into this one (its copy on another target).
    version: 9,
    name: 'targets',
    sql: `
CREATE TABLE targets (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('docker', 'kubernetes', 'kind')),
  kubeconfig TEXT NOT NULL DEFAULT '',
  context TEXT NOT NULL DEFAULT '',
  server TEXT NOT NULL DEFAULT '',
  server_version TEXT NOT NULL DEFAULT '',
  registry TEXT NOT NULL DEFAULT '',
  registry_username TEXT NOT NULL DEFAULT '',
  registry_secret TEXT NOT NULL DEFAULT '',
  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
ALTER TABLE apps ADD COLUMN target TEXT NOT NULL DEFAULT 'local';
ALTER TABLE apps ADD COLUMN promoted_from TEXT;
CREATE INDEX apps_target ON apps(target);
`,
  },
  {
    // An SSH bastion through which an added Kubernetes target's API server is reached (ssh://user@host[:port]),
    // and the key file it logs in with (empty: the SSH agent and ~/.ssh/id_*).
    version: 10,
    name: 'target-bastions',
    sql: `
ALTER TABLE targets ADD COLUMN bastion TEXT NOT NULL DEFAULT '';
ALTER TABLE targets ADD COLUMN bastion_identity TEXT NOT NULL DEFAULT '';
`,
  },
  {
    // Who started a task (its notification goes to them) and the release it cut.
    version: 11,
    name: 'task-user-release',
    sql: `
ALTER TABLE tasks ADD COLUMN user TEXT;
ALTER TABLE tasks ADD COLUMN release INTEGER;
`,
  },
  {
    // A kind target's cluster (`kind get clusters` names it): its nodes are started, stopped,
    // loaded with images and (when asked) deleted by that name.
    version: 12,
    name: 'kind-targets',
    sql: `
ALTER TABLE targets ADD COLUMN kind_cluster TEXT NOT NULL DEFAULT '';
`,
  },
  {
    // The target a backing service lives on, as an app's: its container (or pods) and data are
    // there, and only apps on that target are attached to it. Services made before are `local`'s.
    version: 13,
    name: 'service-targets',
    sql: `
ALTER TABLE services ADD COLUMN target TEXT NOT NULL DEFAULT 'local';
CREATE INDEX services_target ON services(target);
`,
  },
];
