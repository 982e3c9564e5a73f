package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassifySQLEffect(t *testing.T) {
	tests := []struct {
		name string
		give string
		want Effect
	}{
		// Reads.
		{"select", "SELECT id, name FROM customers WHERE tenant_id = $1", Read},
		{"lower case", "select 1", Read},
		{"mixed case", "SeLeCt * FrOm t", Read},
		{"leading whitespace", "\n\t  SELECT 1", Read},
		{"sqlc name comment", "-- name: GetCustomer :one\nSELECT id FROM customers WHERE id = $1", Read},
		{"block comment", "/* get it */ SELECT 1", Read},
		{"nested block comment", "/* a /* b */ c */ SELECT 1", Read},
		{"comment hides delete", "SELECT 1 -- DELETE FROM t", Read},
		{"leading paren", "(SELECT 1) UNION (SELECT 2)", Read},
		{"values", "VALUES (1), (2)", Read},
		{"show", "SHOW search_path", Read},
		{"table", "TABLE customers", Read},
		{"with read", "WITH c AS (SELECT * FROM customers) SELECT count(*) FROM c", Read},
		{"with recursive", "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 5) SELECT sum(n) FROM t", Read},
		{"quoted update column", `SELECT "update" FROM t`, Read},
		{"quoted delete table", `SELECT * FROM "delete"`, Read},
		{"string for update", "SELECT 'for update' FROM t", Read},
		{"string with semicolon", "SELECT 'a; DELETE FROM t'", Read},
		{"dollar quoted semicolon", "SELECT $$a; DROP TABLE t$$", Read},
		{"tagged dollar quote", "SELECT $body$ it's; UPDATE $body$", Read},
		{"escape string", `SELECT E'it\'s; delete'`, Read},
		{"doubled quote", "SELECT 'it''s; delete'", Read},
		{"quoted nextval column", `SELECT "nextval" FROM t`, Read},
		{"substring for", "SELECT substring(name FOR 3) FROM t", Read},
		{"explain", "EXPLAIN SELECT * FROM t", Read},
		{"explain delete without analyze", "EXPLAIN DELETE FROM t", Read},
		{"explain analyze select", "EXPLAIN ANALYZE SELECT * FROM t", Read},
		{"explain options no analyze", "EXPLAIN (COSTS false) UPDATE t SET a = 1", Read},
		{"explain analyze false", "EXPLAIN (ANALYZE false, VERBOSE) DELETE FROM t", Read},
		{"cast", "SELECT $1::text, now()::date", Read},
		{"returning in select alias", "SELECT 1 AS returning_x", Read},
		{"keyword prefixes in names", "SELECT updated_at, insert_id FROM deleted_items WHERE for_update_flag", Read},
		{"lock clause in comment", "SELECT * FROM t /* FOR UPDATE */", Read},
		{"named params", "SELECT * FROM t WHERE tenant_id = @tenant AND id = :id", Read},
		{"jsonb operators", "SELECT doc ? 'k', doc @> '{}'::jsonb FROM t", Read},
		{"exists subquery", "SELECT EXISTS (SELECT 1 FROM t WHERE id = $1)", Read},

		// Locking reads.
		{"for update", "SELECT * FROM orders WHERE id = $1 FOR UPDATE", Read | Locking},
		{"for no key update", "SELECT * FROM orders FOR NO KEY UPDATE", Read | Locking},
		{"for share", "select * from orders for share", Read | Locking},
		{"for key share", "SELECT * FROM orders FOR KEY SHARE OF orders", Read | Locking},
		{"for update skip locked", "SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", Read | Locking},
		{"for update in subquery", "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", Read | Locking},
		{"sqlc hidden lock", "-- name: LockOrder :one\nSELECT id FROM orders\nWHERE id = $1\nFOR UPDATE", Read | Locking},
		{"advisory xact lock", "SELECT pg_advisory_xact_lock($1)", Locking},
		{"try advisory xact lock", "SELECT pg_try_advisory_xact_lock(hashtext($1))", Locking},
		{"qualified advisory lock", "SELECT pg_catalog.pg_advisory_xact_lock(42)", Locking},
		{"session advisory lock", "SELECT pg_advisory_lock(1)", Write | Locking},
		{"advisory unlock", "SELECT pg_advisory_unlock(1)", Write | Locking},
		{"lock table", "LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE", Locking | Write},
		{"lock", "lock accounts", Locking | Write},

		// Reads with side effects.
		{"nextval", "SELECT nextval('orders_id_seq')", Write},
		{"setval", "SELECT setval('s', 10)", Write},
		{"nextval upper", "SELECT NEXTVAL('s')", Write},
		{"quoted nextval call", `SELECT "nextval"('s')`, Write},
		{"currval", "SELECT currval('s')", TxState},
		{"set_config", "SELECT set_config('app.current_tenant_id', $1, true)", TxState},
		{"pg_notify", "SELECT pg_notify('orders', $1)", Write},
		{"select into", "SELECT * INTO TEMP archive FROM orders", Write},
		{"cte insert", "WITH n AS (INSERT INTO t (a) VALUES (1) RETURNING id) SELECT id FROM n", Write},
		{"cte delete", "WITH gone AS (DELETE FROM t WHERE old RETURNING *) SELECT count(*) FROM gone", Write},
		{"cte update materialized", "WITH u AS MATERIALIZED (UPDATE t SET a = 1 RETURNING a) SELECT * FROM u", Write},
		{"cte main insert", "WITH src AS (SELECT * FROM staging) INSERT INTO t SELECT * FROM src", Write},
		{"cte main delete", "WITH old AS (SELECT id FROM t) DELETE FROM t USING old WHERE t.id = old.id", Write},
		{"explain analyze delete", "EXPLAIN ANALYZE DELETE FROM t", Write},
		{"explain options analyze", "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1", Write},

		// Writes.
		{"insert", "INSERT INTO orders (id) VALUES ($1)", Write},
		{"insert returning", "INSERT INTO orders (id) VALUES ($1) RETURNING id", Write},
		{"update", "UPDATE orders SET status = $1 WHERE id = $2", Write},
		{"update returning", "update orders set n = n + 1 returning n", Write},
		{"delete", "DELETE FROM orders WHERE id = $1", Write},
		{"merge", "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a", Write},
		{"upsert", "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = excluded.a", Write},
		{"insert select for update", "INSERT INTO t SELECT * FROM s FOR UPDATE", Write | Locking},
		{"update with advisory lock", "UPDATE t SET a = pg_advisory_xact_lock(1)", Write | Locking},
		{"create", "CREATE TABLE t (id int)", Write},
		{"create function body", "CREATE FUNCTION f() RETURNS int AS $$ SELECT set_config('a', 'b', false)::int $$ LANGUAGE sql", Write},
		{"alter", "ALTER TABLE t ADD COLUMN a int", Write},
		{"drop", "DROP TABLE IF EXISTS t", Write},
		{"truncate", "TRUNCATE t", Write},
		{"grant", "GRANT SELECT ON t TO app", Write},
		{"revoke", "REVOKE ALL ON t FROM app", Write},
		{"comment", "COMMENT ON TABLE t IS 'x'", Write},
		{"copy from", "COPY t FROM STDIN", Write},
		{"copy to", "COPY (SELECT * FROM t) TO STDOUT", Read},
		{"call", "CALL do_things($1)", Write},
		{"do", "DO $$ BEGIN PERFORM 1; END $$", Write},
		{"refresh", "REFRESH MATERIALIZED VIEW CONCURRENTLY v", Write},
		{"vacuum", "VACUUM ANALYZE t", Write},
		{"analyze", "ANALYZE t", Write},
		{"cluster", "CLUSTER t", Write},
		{"reindex", "REINDEX TABLE t", Write},
		{"notify", "NOTIFY orders, 'x'", Write},

		// Transaction state and control.
		{"set local", "SET LOCAL app.current_tenant_id = '42'", TxState},
		{"set", "SET app.current_tenant_id TO 42", TxState},
		{"set transaction", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", TxState},
		{"reset", "RESET app.current_tenant_id", TxState},
		{"begin", "BEGIN", TxControl},
		{"start transaction", "START TRANSACTION ISOLATION LEVEL REPEATABLE READ", TxControl},
		{"commit", "COMMIT", TxControl},
		{"end", "END", TxControl},
		{"rollback", "ROLLBACK", TxControl},
		{"rollback to savepoint", "ROLLBACK TO SAVEPOINT s1", TxControl},
		{"savepoint", "SAVEPOINT s1", TxControl},
		{"release", "RELEASE SAVEPOINT s1", TxControl},
		{"prepare transaction", "PREPARE TRANSACTION 'x'", TxControl},
		{"declare cursor", "DECLARE c CURSOR FOR SELECT * FROM t", Read | TxState},
		{"fetch", "FETCH 10 FROM c", Read | TxState},

		// Several statements.
		{"two statements", "SELECT 1; UPDATE t SET a = 1", Read | Write},
		{"begin and insert", "BEGIN; INSERT INTO t VALUES (1); COMMIT;", TxControl | Write},
		{"trailing semicolon", "SELECT 1;", Read},
		{"set then select", "SET LOCAL app.t = '1'; SELECT * FROM t", TxState | Read},

		// Unknown.
		{"empty", "", Unknown},
		{"blank", "  \n ", Unknown},
		{"only comment", "-- name: X :one\n", Unknown},
		{"only semicolons", ";;", Unknown},
		{"not sql", "GetCustomer", Unknown},
		{"statement name", "get_customer_by_id", Unknown},
		{"number", "42", Unknown},
		{"unterminated string", "SELECT 'abc", Unknown},
		{"unterminated quoted ident", `SELECT "abc`, Unknown},
		{"unterminated comment", "/* SELECT 1", Unknown},
		{"unterminated dollar quote", "SELECT $$abc", Unknown},
		{"prepare statement", "PREPARE q AS SELECT 1", Unknown},
		{"unknown and read", "SELECT 1; FROBNICATE", Read | Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want.String(), ClassifySQL(tt.give).Effect.String())
		})
	}
}

func TestClassifySQLSetting(t *testing.T) {
	tests := []struct {
		name string
		give string
		want *SettingUse
	}{
		{"set_config local bound", "SELECT set_config('app.current_tenant_id', $1, true)",
			&SettingUse{Name: "app.current_tenant_id", Local: true, Bound: true, Func: true}},
		{"set_config session", "SELECT set_config('app.current_tenant_id', $1, false)",
			&SettingUse{Name: "app.current_tenant_id", Bound: true, Func: true}},
		{"set_config formatted", "SELECT set_config('app.tenant', '42', true)",
			&SettingUse{Name: "app.tenant", Local: true, Func: true}},
		{"set_config cast param", "SELECT set_config('app.tenant', $1::text, true)",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set_config question mark", "SELECT set_config('app.tenant', ?, TRUE)",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set_config named param", "SELECT set_config('app.tenant', @tenant, true)",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set_config sqlx param", "SELECT set_config('app.tenant', :tenant, true)",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set_config name param", "SELECT set_config($1, $2, true)",
			&SettingUse{Local: true, Bound: true, Func: true}},
		{"set_config flag param", "SELECT set_config('app.tenant', $1, $2)",
			&SettingUse{Name: "app.tenant", Bound: true, Func: true}},
		{"set_config upper name", "select SET_CONFIG('App.Tenant', $1, true)",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set_config in cte", "WITH s AS (SELECT set_config('app.tenant', $1, true)) SELECT * FROM t, s",
			&SettingUse{Name: "app.tenant", Local: true, Bound: true, Func: true}},
		{"set local", "SET LOCAL app.current_tenant_id = '42'",
			&SettingUse{Name: "app.current_tenant_id", Local: true}},
		{"set local to", "set local app.current_tenant_id to 42",
			&SettingUse{Name: "app.current_tenant_id", Local: true}},
		{"set session", "SET app.current_tenant_id = '42'",
			&SettingUse{Name: "app.current_tenant_id"}},
		{"set session keyword", "SET SESSION app.current_tenant_id = '42'",
			&SettingUse{Name: "app.current_tenant_id"}},
		{"set param", "SET LOCAL app.tenant = $1", &SettingUse{Name: "app.tenant", Local: true, Bound: true}},
		{"set quoted name", `SET LOCAL "app.tenant" = '1'`, &SettingUse{Name: "app.tenant", Local: true}},
		{"set search_path", "SET search_path TO tenant_42, public", &SettingUse{Name: "search_path"}},
		{"set schema", "SET SCHEMA 'tenant_42'", &SettingUse{Name: "search_path"}},
		{"set time zone", "SET LOCAL TIME ZONE 'UTC'", &SettingUse{Name: "timezone", Local: true}},
		{"set role", "SET ROLE app_user", &SettingUse{Name: "role"}},
		{"set session authorization", "SET SESSION AUTHORIZATION app", &SettingUse{Name: "session_authorization"}},
		{"reset", "RESET app.current_tenant_id", &SettingUse{Name: "app.current_tenant_id"}},
		{"reset all", "RESET ALL", &SettingUse{}},
		{"set transaction", "SET TRANSACTION READ ONLY", nil},
		{"select", "SELECT current_setting('app.tenant')", nil},
		{"set_config inside string", "SELECT 'set_config(''a'', ''b'', false)'", nil},
		{"first of several", "SET LOCAL a.b = 1; SELECT set_config('c.d', $1, false)",
			&SettingUse{Name: "a.b", Local: true, More: true}},
		{"two in one select", "SELECT set_config('a.b', $1, true), set_config('c.d', $2, true)",
			&SettingUse{Name: "a.b", Local: true, Bound: true, Func: true, More: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClassifySQL(tt.give).Setting
			if got != nil {
				got.Value = nil // asserted by TestSettingValue
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOnlySets(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"SELECT set_config('app.t', $1, true)", true},
		{"select set_config('a.b', $1, true), set_config('c.d', $2, true);", true},
		{"SET LOCAL app.t = $1", true},
		{"SET LOCAL app.t = $1; SET LOCAL app.u = $2", true},
		{"SELECT set_config('app.t', $2, true) WHERE $1 <> ''", false},
		{"SELECT set_config('app.t', tenant, true) FROM users WHERE id = $1", false},
		{"SELECT set_config('app.t', $1, true), now()", false},
		{"SELECT app.set_tenant($1)", false},
		{"SET LOCAL app.t = $1; INSERT INTO log VALUES (1)", false},
		{"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, OnlySets(tt.give), tt.give)
	}
}

// The value's SQL names the bind parameter the tenant reaches.
func TestSettingValue(t *testing.T) {
	tests := []struct{ give, want string }{
		{"SELECT set_config('app.t', $2, true) WHERE $1 <> ''", "$2"},
		{"SELECT set_config('app.t', $1::text, true)", "$1 :: text"},
		{"SET LOCAL app.t = $1", "$1"},
		{"SET LOCAL app.t TO ?", "?"},
	}
	for _, tt := range tests {
		var texts []string
		for _, tok := range ClassifySQL(tt.give).Setting.Value {
			texts = append(texts, tok.Text)
		}
		assert.Equal(t, tt.want, strings.Join(texts, " "), tt.give)
	}
}

func BenchmarkClassifySQL(b *testing.B) {
	const q = `-- name: ListOrders :many
WITH recent AS (SELECT * FROM orders WHERE tenant_id = $1 AND created_at > now() - interval '7 days')
SELECT o.id, o.status, c.name FROM recent o JOIN customers c ON c.id = o.customer_id
ORDER BY o.created_at DESC LIMIT 50`
	for b.Loop() {
		ClassifySQL(q)
	}
}
