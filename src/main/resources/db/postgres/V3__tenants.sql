-- Tasks belong to a tenant (DESIGN §9): lists read a caller's own. NULL is the tenant with no
-- name, which a node without auth serves.
ALTER TABLE tasks ADD COLUMN tenant TEXT;
CREATE INDEX tasks_tenant ON tasks (tenant, owner, owner_loop, seq);
