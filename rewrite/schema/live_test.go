package schema_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/fixtures/pgtest"
	"github.com/txscope/txscope/rewrite/schema"
	"github.com/txscope/txscope/rewrite/schema/live"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tenancy is the one source of the live test's SQL: applied to the
// database file by file, and read offline as migrations.
var tenancy = filepath.Join("testdata", "tenancy")

// liveDatabase is a database with the tenancy migrations applied, by the
// superuser, and a role that bypasses row-level security.
func liveDatabase(t *testing.T) (*pgtest.Cluster, *pgtest.Database, string) {
	t.Helper()
	cluster := pgtest.Shared(t, pgtest.Options{PgBouncer: true})
	db := cluster.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	files, err := schema.Files(tenancy)
	require.NoError(t, err)
	for _, f := range files {
		sql, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, string(sql))
		require.NoError(t, err, f)
	}
	// Roles belong to the cluster: one per database.
	bypass := db.Name + "_reporting"
	_, err = conn.Exec(ctx, "create role "+pgx.Identifier{bypass}.Sanitize()+" login bypassrls")
	require.NoError(t, err)
	u, err := url.Parse(db.AppURL)
	require.NoError(t, err)
	u.User = url.User(bypass)
	return cluster, db, u.String()
}

func TestFromDB(t *testing.T) {
	cluster, db, bypassURL := liveDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	fromDB, err := live.FromDB(ctx, db.AppURL)
	require.NoError(t, err)
	assert.Equal(t, schema.Database, fromDB.Source.Kind)
	assert.Equal(t, &schema.Role{Name: pgtest.AppRole}, fromDB.Role)
	assert.Equal(t, "read committed", fromDB.DefaultIsolation)
	assert.Equal(t, []string{
		"audit.events", "public.documents", "public.invoices", "public.memberships",
		"public.notes", "public.orders", "public.tenants",
	}, fromDB.TableNames())

	orders := fromDB.Table("orders")
	require.NotNil(t, orders)
	assert.True(t, orders.RLS)
	assert.True(t, orders.Force)
	assert.Equal(t, pgtest.Superuser, orders.Owner)
	assert.Equal(t, []string{"id", "tenant_id", "total"}, orders.Columns)
	require.Len(t, orders.Policies, 1)
	assert.Equal(t, []schema.SettingRead{{Name: "app.current_tenant_id"}}, orders.Policies[0].Settings)
	assert.Contains(t, orders.Policies[0].Using, "current_setting('app.current_tenant_id'::text)")

	documents := fromDB.Table("documents")
	require.Len(t, documents.Policies, 3)
	member := documents.Policies[2]
	assert.Equal(t, "documents_member", member.Name)
	assert.Equal(t, "select", member.Command)
	assert.Equal(t, []string{pgtest.AppRole}, member.Roles)
	assert.Equal(t, []schema.SettingRead{
		{Name: "app.current_tenant_id", MissingOK: true}, {Name: "app.current_user_id", MissingOK: true},
	}, member.Settings)
	assert.True(t, documents.Policies[0].Restrictive, documents.Policies[0].Name)

	checkRequirements(t, fromDB)

	t.Run("bypassing role", func(t *testing.T) {
		s, err := live.FromDB(ctx, bypassURL)
		require.NoError(t, err)
		assert.True(t, s.Role.BypassRLS)
		r, _ := s.Requirement("orders", "tenant_id")
		assert.Equal(t, "role "+s.Role.Name+" has BYPASSRLS", r.Bypass)
	})
	t.Run("superuser", func(t *testing.T) {
		s, err := live.FromDB(ctx, db.URL)
		require.NoError(t, err)
		assert.True(t, s.Role.Superuser)
		r, _ := s.Requirement("documents", "")
		assert.Equal(t, "role postgres is a superuser", r.Bypass)
	})
	t.Run("through PgBouncer", func(t *testing.T) {
		s, err := live.FromDB(ctx, db.AppBouncerURL)
		require.NoError(t, err)
		s.Source = fromDB.Source
		assert.Equal(t, fromDB, s)

		admin, err := url.Parse(cluster.BouncerURL())
		require.NoError(t, err)
		admin.Path = "/pgbouncer"
		mode, err := live.PoolMode(ctx, admin.String())
		require.NoError(t, err)
		assert.Equal(t, "transaction", mode)

		_, err = live.FromDB(ctx, admin.String())
		assert.ErrorContains(t, err, "admin console")
	})
	t.Run("same as the migrations", func(t *testing.T) {
		offline, err := schema.FromMigrations(tenancy)
		require.NoError(t, err)
		checkRequirements(t, offline)
		// What only one source knows: positions, the owner when no
		// migration sets it, the role and settings of a live reader, the
		// expressions' spelling.
		for name, t := range offline.Tables {
			t.Pos = schema.Pos{}
			if t.Owner == "" {
				t.Owner = fromDB.Tables[name].Owner
			}
		}
		for _, s := range []*schema.Schema{offline, fromDB} {
			for _, t := range s.Tables {
				for _, p := range t.Policies {
					p.Pos, p.Using, p.WithCheck = schema.Pos{}, "", ""
				}
			}
		}
		assert.Equal(t, fromDB.Tables, offline.Tables)
	})
}

// checkRequirements checks what the tenancy schema demands of reads by the
// application's role.
func checkRequirements(t *testing.T, s *schema.Schema) {
	t.Helper()
	want := map[string]schema.Requirement{
		"orders":       {Table: "public.orders", Kind: schema.RLS, Settings: []string{"app.current_tenant_id"}},
		"documents":    {Table: "public.documents", Kind: schema.RLS, Settings: []string{"app.current_tenant_id", "app.current_user_id"}},
		"tenants":      {Table: "public.tenants", Kind: schema.RLS, Settings: []string{"app.current_tenant_id", "app.current_user_id"}},
		"invoices":     {Table: "public.invoices", Kind: schema.TenantColumn, Column: "tenant_id"},
		"audit.events": {Table: "audit.events", Kind: schema.TenantColumn, Column: "tenant_id"},
	}
	for name, w := range want {
		r, ok := s.Requirement(name, "tenant_id")
		require.True(t, ok, name)
		assert.Equal(t, w, r, name)
	}
	notes, _ := s.Requirement("notes", "tenant_id")
	if s.Role != nil {
		assert.Equal(t, "role app owns public.notes, which does not FORCE ROW LEVEL SECURITY", notes.Bypass)
	}

	tenant := []string{"app.current_tenant_id"}
	ok, why := s.CanMove([]string{"orders", "invoices"}, tenant)
	assert.True(t, ok, why)
	ok, why = s.CanMove([]string{"orders", "documents"}, tenant)
	assert.False(t, ok)
	assert.Equal(t, "public.documents has row-level security on app.current_tenant_id and app.current_user_id; the handle does not set app.current_user_id", why)
	ok, why = s.CanMove([]string{"documents", "tenants"}, []string{"app.current_tenant_id", "APP.current_user_id"})
	assert.True(t, ok, why)
	ok, why = s.CanMove([]string{"orders_view"}, tenant)
	assert.False(t, ok)
	assert.True(t, strings.HasPrefix(why, "table orders_view is not in the schema ("), why)
}

func TestFromDBRedactsThePassword(t *testing.T) {
	_, db, _ := liveDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, err := url.Parse(db.AppURL)
	require.NoError(t, err)
	// The cluster trusts local connections, so any password logs in.
	u.User = url.UserPassword(pgtest.AppRole, "s3cret-pw")
	s, err := live.FromDB(ctx, u.String())
	require.NoError(t, err)
	assert.NotContains(t, s.Source.URL, "s3cret-pw")
	assert.Contains(t, s.Source.URL, "app:xxxxx@127.0.0.1:")
	assert.NotContains(t, s.Source.String(), "s3cret-pw")

	u.Path = "/no_such_database"
	_, err = live.FromDB(ctx, u.String())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
	assert.Contains(t, err.Error(), "xxxxx")

	_, err = live.FromDB(ctx, "postgres://app:s3cret-pw@127.0.0.1:notaport/db")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}
