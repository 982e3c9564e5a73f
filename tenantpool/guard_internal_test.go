package tenantpool

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefuse(t *testing.T) {
	tests := []struct {
		sql  string
		args []any
		why  string // "" when the statement may be sent
	}{
		{sql: "COMMIT", why: whyTxControl},
		{sql: "commit;", why: whyTxControl},
		{sql: "  /* why */ Rollback", why: whyTxControl},
		{sql: "-- done\ncommit", why: whyTxControl},
		{sql: "END", why: whyTxControl},
		{sql: "ABORT", why: whyTxControl},
		{sql: "BEGIN", why: whyTxControl},
		{sql: "begin isolation level serializable", why: whyTxControl},
		{sql: "START TRANSACTION", why: whyTxControl},
		{sql: "SAVEPOINT s", why: whyTxControl},
		{sql: "RELEASE SAVEPOINT s", why: whyTxControl},
		{sql: "PREPARE TRANSACTION 'x'", why: whyTxControl},
		{sql: "COMMIT PREPARED 'x'", why: whyTxControl},
		{sql: "select 1; commit; select 2", why: whyTxControl},
		{sql: "select 1;commit", why: whyTxControl},
		{sql: "SET search_path = x", why: whySet},
		{sql: "set app.current_tenant_id = 't01'", why: whySet},
		{sql: "SET SESSION app.x = 1", why: whySet},
		{sql: "SET ROLE admin", why: whySet},
		{sql: "SET TIME ZONE 'UTC'", why: whySet},
		{sql: "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", why: whySet},
		{sql: "RESET ALL", why: whySet},
		{sql: "select set_config('app.x', 't01', false)", why: whySetConfig},
		{sql: "SELECT pg_catalog.set_config('a', 'b', FALSE)", why: whySetConfig},
		{sql: "select set_config('a', 'b', 'off')", why: whySetConfig},
		{sql: "select set_config('a', 'b', false::boolean)", why: whySetConfig},
		{sql: "select set_config('a', $1, $2)", args: []any{"t01", false}, why: whySetConfig},
		{sql: "select set_config('a', $1, $2)", args: []any{"t01", "false"}, why: whySetConfig},
		{sql: "with x as (select set_config('a', lower('B'), false)) select * from x", why: whySetConfig},
		{sql: "select 1; select set_config ( 'a' , 'b' , false )", why: whySetConfig},

		{sql: "select 1"},
		{sql: "SET LOCAL search_path = x"},
		{sql: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
		{sql: "SET CONSTRAINTS ALL DEFERRED"},
		{sql: "select set_config('a', 'b', true)"},
		{sql: "select set_config('a', $1, $2)", args: []any{"t01", true}},
		{sql: "select set_config('a', $1, $2)"},
		{sql: "select set_config('a', 'b', is_local)"},
		{sql: "select my_set_config('a', 'b', false)"},
		{sql: "update items set name = 'commit'"},
		{sql: "select 'x; commit; set role admin'"},
		{sql: "insert into t values ('it''s; commit')"},
		{sql: `select e'\'; commit'`},
		{sql: "select $$ ; commit $$"},
		{sql: "select $tag$ ; commit $notag$ ; $tag$"},
		{sql: `select "commit" from t`},
		{sql: "/* nested /* commit */ ; commit */ select 1"},
		{sql: "select 1 -- ; commit"},
		{sql: "prepare p as select 1"},
		{sql: "DO $$ BEGIN PERFORM set_config('a', 'b', false); COMMIT; END $$"},
		{sql: "select $1::text, begin from t", args: []any{"x"}},
		{sql: ";;"},
		{sql: ""},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			err := refuse([]*pgx.QueuedQuery{{SQL: "select 1"}, {SQL: tt.sql, Arguments: tt.args}})
			if tt.why == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrRefused)
			assert.Contains(t, err.Error(), tt.why)
		})
	}
}

func TestRefuseMessage(t *testing.T) {
	err := refuse([]*pgx.QueuedQuery{{SQL: "select 1; commit; select * from items where name = 'a long name that is cut'"}})
	assert.EqualError(t, err, `tenantpool: statement refused: "commit" ends the transaction that scopes the tenant, so what follows would run without it: control transactions on a transaction, not on a tenantpool handle`)

	err = refuse([]*pgx.QueuedQuery{{SQL: "select set_config('app.current_tenant_id', 't01', false), 'and a long tail to cut'"}})
	assert.EqualError(t, err, `tenantpool: statement refused: "select set_config('app.current_tenant_id', 't01', false), 'a…" sets a setting for the session, which outlives the call on a pooled connection: pass true as set_config's third argument`)
}
