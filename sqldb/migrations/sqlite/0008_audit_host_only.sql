-- Host administration (creating a tenant) is recorded in the host
-- administrator's own tenant, but it names other tenants, so it is shown to
-- host administrators only. Entries written before this flag existed are
-- marked and scrubbed here: the creation entry in the creator's tenant
-- becomes host-only, and the one opening a new tenant's log no longer
-- names the host administrator or the creator's tenant.
ALTER TABLE audit_entries ADD COLUMN host_only INTEGER NOT NULL DEFAULT 0;
UPDATE audit_entries SET host_only = 1 WHERE action = 'tenant.create' AND object_id <> tenant_id;
UPDATE audit_entries SET actor_id = '', actor_name = 'host administrator', ip = '',
		details = json_remove(details, '$.creator_tenant_id')
	WHERE action = 'tenant.create' AND object_id = tenant_id;
