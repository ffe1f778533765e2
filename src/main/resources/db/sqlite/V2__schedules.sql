-- Schedules (DESIGN §8). A schedule's record is its definition and what its ticks did, as JSON;
-- a deleted one stays as a tombstone (deleted = 1) with a newer version, so an older copy of it
-- never comes back.
CREATE TABLE schedules (
  id      TEXT    PRIMARY KEY,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  record  TEXT    NOT NULL
);

-- The latest tick of each schedule that fired a task, written in the same commit as that task:
-- the fire record. A schedule carries on after it, so no restart can fire a tick twice.
CREATE TABLE schedule_fires (
  schedule_id TEXT    PRIMARY KEY,
  tick        INTEGER NOT NULL,
  task_id     TEXT    NOT NULL
);
