-- The tables of a multi-tenant service; row-level security follows in 2.
create table tenants (id uuid primary key, name text not null);

CREATE TABLE public.orders (
	id bigserial PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id),
	total numeric(10, 2) NOT NULL DEFAULT 0,
	CONSTRAINT orders_total CHECK (total >= 0)
);

-- A tenant column and no policy.
create table invoices (id bigserial primary key, tenant_id uuid not null, "Amount" numeric);

create table memberships (
	tenant_id uuid not null,
	user_id uuid not null,
	primary key (tenant_id, user_id)
);

create table documents (id bigserial primary key, tenant_id uuid not null, owner_id uuid not null, body text);

create table notes (id bigserial primary key, tenant_id uuid not null, body text);

create schema audit;
create table audit.events (id bigserial, tenant_id uuid, at timestamptz default now());

create table scratch (id int);

create function touch() returns trigger language plpgsql as $$
begin
	-- Not a statement of the migration: a semicolon; CREATE POLICY in a body.
	new.body := new.body;
	return new;
end
$$;
