create table invoices (id bigserial primary key, tenant_id uuid not null);
