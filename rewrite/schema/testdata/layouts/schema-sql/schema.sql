--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
SET default_table_access_method = heap;

CREATE TABLE public.invoices (
    id bigint NOT NULL,
    tenant_id uuid NOT NULL
);

ALTER TABLE public.invoices OWNER TO app;

CREATE SEQUENCE public.invoices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.invoices_id_seq OWNED BY public.invoices.id;

CREATE TABLE public.orders (
    id bigint NOT NULL,
    tenant_id uuid NOT NULL
);

ALTER TABLE public.orders OWNER TO app;

ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;

ALTER TABLE ONLY public.orders FORCE ROW LEVEL SECURITY;

CREATE POLICY orders_tenant ON public.orders USING ((tenant_id = (current_setting('app.tenant_id'::text))::uuid));
