drop table invoices;
create table down_only (a int);
