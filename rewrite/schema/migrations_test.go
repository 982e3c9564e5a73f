package schema_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/schema"
)

// Every layout under testdata/layouts holds the same two tables: orders
// under FORCEd row-level security on app.tenant_id, and invoices with a
// tenant column and no policy. Their down migrations would undo them.
func TestLayouts(t *testing.T) {
	tests := []struct {
		layout string
		found  []string // what Discover returns, relative to the layout
		files  []string // the files applied, in order
	}{{
		layout: "golang-migrate",
		found:  []string{"migrations"},
		files:  []string{"migrations/000001_orders.up.sql", "migrations/000002_invoices.up.sql"},
	}, {
		layout: "goose",
		found:  []string{"db/migrations"},
		files:  []string{"db/migrations/00001_orders.sql", "db/migrations/00002_invoices.sql"},
	}, {
		// Named against their order, so that only atlas.sum gets it right.
		layout: "atlas",
		found:  []string{"migrations"},
		files:  []string{"migrations/10_orders.sql", "migrations/2_force.sql"},
	}, {
		layout: "sqlc-v2",
		found:  []string{"schema/orders.sql", "schema/invoices.sql"},
		files:  []string{"schema/orders.sql", "schema/invoices.sql"},
	}, {
		layout: "sqlc-json",
		found:  []string{"db/schema"},
		files:  []string{"db/schema/1_orders.up.sql", "db/schema/2_invoices.up.sql"},
	}, {
		layout: "schema-sql",
		found:  []string{"schema.sql"},
		files:  []string{"schema.sql"},
	}, {
		layout: "db-schema-sql",
		found:  []string{"db/schema.sql"},
		files:  []string{"db/schema.sql"},
	}, {
		layout: "dbmate",
		found:  []string{"sql/migrations"},
		files:  []string{"sql/migrations/20240101000000_orders.sql", "sql/migrations/20240102000000_invoices.sql"},
	}}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			dir := filepath.Join("testdata", "layouts", tt.layout)
			found, err := schema.Discover(dir)
			require.NoError(t, err)
			assert.Equal(t, under(dir, tt.found), found)

			s, err := schema.FromMigrations(found...)
			require.NoError(t, err)
			assert.Equal(t, schema.Source{Kind: schema.Migrations, Paths: under(dir, tt.files)}, s.Source)
			assert.Equal(t, []string{"public.invoices", "public.orders"}, s.TableNames())
			assert.True(t, s.Table("orders").Force)

			orders, _ := s.Requirement("orders", "tenant_id")
			assert.Equal(t, schema.Requirement{Table: "public.orders", Kind: schema.RLS, Settings: []string{"app.tenant_id"}}, orders)
			invoices, _ := s.Requirement("invoices", "tenant_id")
			assert.Equal(t, schema.Requirement{Table: "public.invoices", Kind: schema.TenantColumn, Column: "tenant_id"}, invoices)
			none, _ := s.Requirement("invoices", "")
			assert.Equal(t, schema.NoRequirement, none.Kind)
		})
	}
}

func under(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Join(dir, filepath.FromSlash(p))
	}
	return out
}

func TestDiscoverNothing(t *testing.T) {
	found, err := schema.Discover(t.TempDir())
	assert.NoError(t, err)
	assert.Nil(t, found)
}

func TestPositionsAfterDownSection(t *testing.T) {
	dir := filepath.Join("testdata", "layouts", "goose", "db", "migrations")
	s, err := schema.FromMigrations(dir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "00001_orders.sql")+":3:1", s.Table("orders").Pos.String())
	assert.Equal(t, filepath.Join(dir, "00001_orders.sql")+":6:1", s.Table("orders").Policies[0].Pos.String())
	assert.Equal(t, filepath.Join(dir, "00002_invoices.sql")+":2:1", s.Table("invoices").Pos.String())
}
