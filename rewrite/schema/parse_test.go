package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// read applies src as one migration file named m.sql.
func read(src string) (*Schema, error) {
	b := newBuilder()
	b.apply("m.sql", src)
	return b.result()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		sql   string
		check func(t *testing.T, s *Schema)
	}{{
		name: "quoted, qualified and search_path",
		sql: `set search_path to app, public;
create table "Orders" ("TenantId" uuid, Total int, exclude int, primary key ("TenantId"));
create table public.y (a int, like "Orders");
create temp table scratch (a int);
create unlogged table if not exists z (a int);`,
		check: func(t *testing.T, s *Schema) {
			assert.Equal(t, []string{"app.Orders", "app.z", "public.y"}, s.TableNames())
			assert.Equal(t, []string{"TenantId", "total", "exclude"}, s.Tables["app.Orders"].Columns)
			assert.Equal(t, []string{"a", "TenantId", "total", "exclude"}, s.Tables["public.y"].Columns)
			assert.Nil(t, s.Table("Orders"), "unqualified lookups use the default path")
		},
	}, {
		name: "pg_dump",
		sql: `SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.t (
    id bigint NOT NULL,
    tenant_id uuid NOT NULL
);
ALTER TABLE public.t OWNER TO app;
ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_pkey PRIMARY KEY (id);
ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON public.t USING ((tenant_id = (current_setting('app.tenant'::text))::uuid));`,
		check: func(t *testing.T, s *Schema) {
			tab := s.Table("t")
			require.NotNil(t, tab)
			assert.Equal(t, "app", tab.Owner)
			assert.True(t, tab.RLS)
			assert.Equal(t, []string{"id", "tenant_id"}, tab.Columns)
			assert.Equal(t, Pos{File: "m.sql", Line: 2, Col: 1}, tab.Pos)
			assert.Equal(t, []SettingRead{{Name: "app.tenant"}}, tab.Policies[0].Settings)
			assert.Equal(t, Pos{File: "m.sql", Line: 10, Col: 1}, tab.Policies[0].Pos)
		},
	}, {
		name: "policy clauses",
		sql: `create table t (a int);
create policy "P 1" on t as restrictive for update to app, "Admins"
	using (a = current_setting('app.a', 'on')::int)
	with check (a = nullif(current_setting('App.B'), '')::int and auth.uid() is not null);
create policy p2 on t;`,
		check: func(t *testing.T, s *Schema) {
			p := s.Table("t").Policies[0]
			assert.Equal(t, "P 1", p.Name)
			assert.Equal(t, "public.t", p.Table)
			assert.True(t, p.Restrictive)
			assert.Equal(t, "update", p.Command)
			assert.Equal(t, []string{"app", "Admins"}, p.Roles)
			assert.Equal(t, "a = current_setting('app.a', 'on')::int", p.Using)
			assert.Equal(t, "a = nullif(current_setting('App.B'), '')::int and auth.uid() is not null", p.WithCheck)
			assert.Equal(t, []SettingRead{{Name: "app.a", MissingOK: true}, {Name: "app.b"}}, p.Settings)
			assert.Equal(t, []string{"auth.uid"}, p.Calls)
			p2 := s.Table("t").Policies[1]
			assert.Equal(t, "all", p2.Command)
			assert.Equal(t, []string{"public"}, p2.Roles)
			assert.False(t, p2.Restrictive)
		},
	}, {
		name: "alter, rename, drop",
		sql: `create table t (a int, b int);
alter table t enable row level security, force row level security, add column c text, drop column b;
alter table if exists t no force row level security;
create policy p on t using (a = current_setting('app.a')::int);
create policy q on t using (true);
alter policy p on t using (a = current_setting('app.z')::int);
alter policy q on t rename to r;
drop policy if exists r on t;
alter table t rename column a to aa;
alter table t rename to u;
create schema s;
alter table u set schema s;
create table gone (a int);
drop table if exists gone, never_created cascade;
alter table if exists never_created enable row level security;
alter table never_created add constraint c check (true);`,
		check: func(t *testing.T, s *Schema) {
			assert.Equal(t, []string{"s.u"}, s.TableNames())
			u := s.Tables["s.u"]
			assert.True(t, u.RLS)
			assert.False(t, u.Force)
			assert.Equal(t, []string{"aa", "c"}, u.Columns)
			require.Len(t, u.Policies, 1)
			assert.Equal(t, "s.u", u.Policies[0].Table)
			assert.Equal(t, []SettingRead{{Name: "app.z"}}, u.Policies[0].Settings)
		},
	}, {
		name: "disable and drop schema",
		sql: `create schema s; create table s.a (x int); create table b (x int);
alter table b enable row level security; alter table b disable row level security;
drop schema s cascade;`,
		check: func(t *testing.T, s *Schema) {
			assert.Equal(t, []string{"public.b"}, s.TableNames())
			assert.False(t, s.Table("b").RLS)
		},
	}, {
		name: "bodies, comments and unknown statements",
		sql: `/* create table hidden (a int); */
-- create table hidden2 (a int);
create or replace function f() returns void language plpgsql as $body$
begin
	execute 'create policy x on nothing';
end $body$;
comment on table nothing is 'create table x (a int);';
create index on nothing (a);
grant select on nothing to app;
create table partitioned (tenant_id uuid, at date) partition by range (at);
create table part_1 partition of partitioned for values from ('2024-01-01') to ('2025-01-01');`,
		check: func(t *testing.T, s *Schema) {
			assert.Equal(t, []string{"public.part_1", "public.partitioned"}, s.TableNames())
			assert.Equal(t, []string{"tenant_id", "at"}, s.Table("part_1").Columns)
		},
	}, {
		name: "subqueries",
		sql: `create table m (tenant_id int, user_id int);
create table t (tenant_id int);
create policy p on t using (exists (select 1 from m join other.x on true, public.y where extract(year from now()) > 0));`,
		check: func(t *testing.T, s *Schema) {
			p := s.Table("t").Policies[0]
			assert.Equal(t, []string{"public.m", "other.x", "public.y"}, p.Reads)
			assert.Equal(t, []string{"now"}, p.Calls)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(tt.sql)
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{{
		name: "DO block",
		sql:  "create table t (a int);\n  do $$ begin execute 'alter table t enable row level security'; end $$;",
		want: []string{"m.sql:2:3: DO block that changes row-level security or policies: txscope reads plain statements only, so write them outside DO"},
	}, {
		name: "tables not created",
		sql:  "create policy p on t using (true);\nalter table u enable row level security;\nalter table v rename to w;",
		want: []string{
			"m.sql:1:1: CREATE POLICY p: its table is not created by the migrations read",
			"m.sql:2:15: ALTER TABLE u: the table is not created by the migrations read",
			"m.sql:3:13: ALTER TABLE v RENAME: the table is not created by the migrations read",
		},
	}, {
		name: "columns from a query",
		sql:  "create table t as select 1 as a;",
		want: []string{"m.sql:1:14: CREATE TABLE public.t without a column list (AS, OF a type): txscope cannot tell its columns"},
	}, {
		name: "created twice",
		sql:  "create table t (a int);\ncreate table t (a int);\ncreate policy p on t;\ncreate policy p on t;",
		want: []string{
			"m.sql:2:14: table public.t created again (first at m.sql:1:1)",
			"m.sql:4:1: policy p on public.t created again (first at m.sql:3:1)",
		},
	}, {
		name: "bad policies",
		sql:  "create table t (a int);\ncreate policy p on t for reading using (true);\ncreate policy q on t using (true) to app;\nalter policy z on t using (true);",
		want: []string{
			"m.sql:2:1: CREATE POLICY p: FOR reading is no command",
			`m.sql:3:35: policy q: unexpected "to"`,
			"m.sql:4:1: ALTER POLICY z: no such policy in the migrations read",
		},
	}, {
		name: "unclosed dollar quote",
		sql:  "create table t (a int);\nselect $x$ never closed",
		want: []string{"m.sql:2:8: dollar quote $x$ not closed"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(tt.sql)
			assert.Nil(t, s)
			require.Error(t, err)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				got = append(got, e.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRequirementUnknown(t *testing.T) {
	s, err := read(`create table t (tenant_id int);
alter table t enable row level security;
create policy a on t using (tenant_id = auth.tenant_id() and lower('x') = 'x');
create policy b on t for select using (tenant_id = current_setting(tenant_setting())::int);
create policy c on t for insert with check (tenant_id = current_setting('app.insert_only')::int);
create policy d on t using (tenant_id in (select tenant_id from missing));`)
	require.NoError(t, err)
	r, ok := s.Requirement("public.t", "tenant_id")
	require.True(t, ok)
	assert.Equal(t, RLS, r.Kind)
	assert.Empty(t, r.Settings, "an insert policy does not apply to reads")
	assert.Equal(t, []string{
		"policy a on public.t calls auth.tenant_id(), which may read settings",
		"policy b on public.t reads a setting whose name is not a literal",
		"policy b on public.t calls tenant_setting(), which may read settings",
		"policy d on public.t reads missing, which is not a table of the schema",
	}, r.Unknown)
	ok, why := s.CanMove([]string{"t"}, []string{"app.tenant"})
	assert.False(t, ok)
	assert.Equal(t, "public.t has row-level security and policy a on public.t calls auth.tenant_id(), which may read settings", why)

	_, ok = s.Requirement("nothing", "")
	assert.False(t, ok)
}

// TestSettingFunctions reads the functions that set a setting, and whether
// a handle setting the same itself does all they do.
func TestSettingFunctions(t *testing.T) {
	s, err := read(`
CREATE SCHEMA app;
CREATE FUNCTION app.set_tenant(p_tenant text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.current_tenant_id', p_tenant, true);
END;
$$;
CREATE OR REPLACE FUNCTION set_user(text) RETURNS void AS 'SELECT set_config(''app.user_id'', $1, false)' LANGUAGE sql;
CREATE FUNCTION app.login(p_user text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.user_id', p_user, true);
  INSERT INTO logins (user_id) VALUES (p_user);
END;
$$;
CREATE FUNCTION app.lower_tenant(p text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.current_tenant_id', lower(p), true) $$;
CREATE FUNCTION app.now_utc() RETURNS timestamptz LANGUAGE sql AS $$ SELECT now() $$;
CREATE FUNCTION app.set_org(p_org uuid) RETURNS void LANGUAGE sql AS $$ SELECT set_config('App.Current_Org', p_org::text, TRUE) $$;
CREATE FUNCTION app.audited(p text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.t', p, app.audit(p) IS NOT NULL) $$;
CREATE FUNCTION app.confined(p text) RETURNS void LANGUAGE sql SECURITY DEFINER SET app.t = '' AS $$ SELECT set_config('app.t', p, true) $$;
CREATE FUNCTION app.definer(p text) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT set_config('app.t', p, true) $$;
CREATE FUNCTION app.redefined(p text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.t', p, true) $$;
CREATE OR REPLACE FUNCTION app.redefined(p text) RETURNS void LANGUAGE sql AS $$ SELECT app.set_org(p::uuid) $$;
CREATE FUNCTION app.dropped(p text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.t', p, true) $$;
DROP FUNCTION IF EXISTS app.dropped(text);
`)
	require.NoError(t, err)
	want := map[string]Function{
		"app.set_tenant":   {Sets: []FuncSetting{{"app.current_tenant_id", true, 0}}, OnlySets: true},
		"public.set_user":  {Sets: []FuncSetting{{"app.user_id", false, 0}}, OnlySets: true},
		"app.login":        {Sets: []FuncSetting{{"app.user_id", true, 0}}},
		"app.lower_tenant": {Sets: []FuncSetting{{"app.current_tenant_id", true, -1}}},
		"app.set_org":      {Sets: []FuncSetting{{"app.current_org", true, 0}}, OnlySets: true},
		"app.audited":      {Sets: []FuncSetting{{"app.t", false, 0}}},
		"app.confined":     {Sets: []FuncSetting{{"app.t", true, 0}}},
		"app.definer":      {Sets: []FuncSetting{{"app.t", true, 0}}, OnlySets: true},
	}
	// app.now_utc sets nothing, app.redefined no longer calls set_config
	// itself and app.dropped is gone.
	require.Len(t, s.Functions, len(want), "functions: %v", s.Functions)
	for name, w := range want {
		f := s.Functions[name]
		require.NotNil(t, f, name)
		assert.Equal(t, w.Sets, f.Sets, name)
		assert.Equal(t, w.OnlySets, f.OnlySets, name)
	}
	f, args, exact := s.SetterCall("SELECT app.set_tenant($1)")
	require.NotNil(t, f)
	assert.True(t, exact)
	assert.Equal(t, "app.set_tenant", f.QualifiedName())
	require.Len(t, args, 1)
	assert.Equal(t, "$1", args[0][0].Text)
	f, _, _ = s.SetterCall("select set_user($1)")
	require.NotNil(t, f)
	f, _, _ = s.SetterCall("SELECT app.now_utc()")
	assert.Nil(t, f)
	f, _, exact = s.SetterCall("SELECT app.set_tenant($2) WHERE $1 <> ''")
	assert.NotNil(t, f)
	assert.False(t, exact, "a condition around the call is more than the setting")
	f, _, exact = s.SetterCall("SELECT app.set_tenant($1);")
	assert.NotNil(t, f)
	assert.True(t, exact)
}
