-- The tenant index holds only the tasks of a named tenant. A node without auth, and the tenant
-- with no name, write every task with tenant NULL; those rows are read through tasks_page (the
-- same owner, loop and seq), so indexing them again was one more b-tree insert per write that no
-- read used. A read for a named tenant (tenant = ?) implies tenant IS NOT NULL and still uses it.
DROP INDEX tasks_tenant;
CREATE INDEX tasks_tenant ON tasks (tenant, owner, owner_loop, seq) WHERE tenant IS NOT NULL;
