-- The journal of one node (DESIGN §7). A task's record is its JSON as the API shows it; the
-- columns beside it are what recovery, paging, filters and retention look up.
CREATE TABLE tasks (
  id          TEXT PRIMARY KEY,
  owner       TEXT    NOT NULL,
  owner_loop  INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  version     INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  name        TEXT,
  finished_at INTEGER,
  record      TEXT    NOT NULL
);
CREATE INDEX tasks_unfinished ON tasks (owner) WHERE finished_at IS NULL;
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX tasks_page ON tasks (owner, owner_loop, seq);

-- An Idempotency-Key names its task while the task is kept.
CREATE TABLE idempotency_keys (
  key         TEXT PRIMARY KEY,
  task_id     TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE INDEX idempotency_keys_task ON idempotency_keys (task_id);

-- Named events that are set; a cleared event has no row.
CREATE TABLE events (
  name    TEXT PRIMARY KEY,
  payload TEXT,
  set_at  INTEGER NOT NULL,
  version INTEGER NOT NULL
);

-- The highest id sequence each loop of a node may have given out, so a restart never reuses one.
CREATE TABLE ids (
  owner TEXT    NOT NULL,
  loop  INTEGER NOT NULL,
  up_to INTEGER NOT NULL,
  PRIMARY KEY (owner, loop)
);
