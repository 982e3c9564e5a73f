-- FORCE: the owner is subject to the policy too.
alter table orders enable row level security, force row level security;
create policy orders_tenant on orders
	using (tenant_id = current_setting('app.current_tenant_id')::uuid);

-- Reading a document takes the tenant and the user.
alter table documents enable row level security;
alter table documents force row level security;
alter table documents owner to app;
create policy documents_member on documents for select to app
	using (tenant_id = current_setting('app.current_tenant_id', true)::uuid
		and owner_id = current_setting('app.current_user_id', true)::uuid);
create policy documents_insert on documents for insert
	with check (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
create policy "Documents not archived" on documents as restrictive
	using (body is distinct from 'archived');

alter table memberships enable row level security;
create policy memberships_tenant on memberships
	using (tenant_id = current_setting('app.current_tenant_id')::uuid);

-- A subquery's table brings its own policy: tenants needs both settings.
alter table tenants enable row level security;
create policy tenants_member on tenants for select
	using (id in (select tenant_id from memberships where user_id = current_setting('app.current_user_id')::uuid));

-- Owned by the application's role and not FORCEd: its reads skip the policy.
alter table notes owner to app;
alter table notes enable row level security;
create policy notes_tenant on notes using (tenant_id = current_setting('app.current_tenant_id')::uuid);
