drop table tenants, orders, invoices, memberships, documents, notes, scratch;
drop schema audit cascade;
