create table orders (id bigserial primary key, tenant_id uuid not null);
alter table orders enable row level security;
alter table orders force row level security;
create policy orders_tenant on orders using (tenant_id = current_setting('app.tenant_id')::uuid);
