-- Sorts after 2_rls: versions compare as numbers.
alter table audit.events add column actor text;
alter table audit.events rename column at to happened_at;
alter table invoices drop column "Amount";
alter table invoices add column if not exists amount numeric;
drop table scratch;
