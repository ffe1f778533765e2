-- The journal of a cluster (DESIGN §7): the tables of db/sqlite/V1__journal.sql, shared by every
-- node, with PostgreSQL's types. Times are epoch milliseconds (BIGINT), as in the records.
--
-- A task's record is its JSON as the API shows it, kept as TEXT: written on every change, read
-- back only by GET and list of tasks that left memory and by recovery, so it is stored as sent,
-- not parsed. JSONB would also refuse a record that JSON allows: a string holding \u0000 (a
-- result, an HTTP body) cannot be converted to PostgreSQL text, and one such record would fail
-- every commit it is part of. The label filters of list read `labels`, a small JSONB copy of the
-- record's labels (with U+0000 written as U+FFFD, see PostgresBackend), not the whole record.
CREATE TABLE tasks (
  id          TEXT    PRIMARY KEY,
  owner       TEXT    NOT NULL,
  owner_loop  INTEGER NOT NULL,
  seq         BIGINT  NOT NULL,
  version     INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  name        TEXT,
  finished_at BIGINT,
  labels      JSONB   NOT NULL DEFAULT '{}',
  record      TEXT    NOT NULL
);
CREATE INDEX tasks_unfinished ON tasks (owner) WHERE finished_at IS NULL;
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX tasks_page ON tasks (owner, owner_loop, seq);

-- An Idempotency-Key names its task while the task is kept. Keys are cluster-wide.
CREATE TABLE idempotency_keys (
  key         TEXT PRIMARY KEY,
  task_id     TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE INDEX idempotency_keys_task ON idempotency_keys (task_id);

-- Named events that are set; a cleared event has no row. Events are cluster-wide.
CREATE TABLE events (
  name    TEXT   PRIMARY KEY,
  payload TEXT,
  set_at  BIGINT NOT NULL,
  version BIGINT NOT NULL
);

-- The highest id sequence each loop of a node may have given out, so a restart never reuses one.
CREATE TABLE ids (
  owner TEXT    NOT NULL,
  loop  INTEGER NOT NULL,
  up_to BIGINT  NOT NULL,
  PRIMARY KEY (owner, loop)
);
