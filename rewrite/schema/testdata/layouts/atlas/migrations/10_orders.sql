create table orders (id bigserial primary key, tenant_id uuid not null);
create table invoices (id bigserial primary key, tenant_id uuid not null);
