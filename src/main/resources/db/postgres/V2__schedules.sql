-- Schedules (DESIGN §8): the tables of db/sqlite/V2__schedules.sql, shared by every node.
CREATE TABLE schedules (
  id      TEXT    PRIMARY KEY,
  version BIGINT  NOT NULL,
  deleted BOOLEAN NOT NULL,
  record  TEXT    NOT NULL
);

CREATE TABLE schedule_fires (
  schedule_id TEXT   PRIMARY KEY,
  tick        BIGINT NOT NULL,
  task_id     TEXT   NOT NULL
);
