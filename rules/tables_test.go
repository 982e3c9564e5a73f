package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSQLTables(t *testing.T) {
	tests := []struct {
		name string
		give string
		want Tables
	}{
		{"select", "SELECT id FROM customers WHERE tenant_id = $1", Tables{Read: []string{"customers"}}},
		{"alias and join", "SELECT * FROM orders o JOIN customers AS c ON c.id = o.customer_id LEFT JOIN order_lines l USING (order_id)",
			Tables{Read: []string{"customers", "order_lines", "orders"}}},
		{"comma list", "SELECT * FROM a x, b, public.c WHERE x.id = b.id", Tables{Read: []string{"a", "b", "public.c"}}},
		{"subqueries", `SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c
			WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.customer_id = c.id)`, Tables{Read: []string{"customers", "orders", "tasks"}}},
		{"sample account", `SELECT c.tenant_id, (SELECT coalesce(sum(o.total_cents), 0) FROM orders o
			WHERE o.customer_id = c.id AND o.status <> 'cancelled') AS ordered_cents FROM customers c WHERE c.id = $2 FOR UPDATE OF c`,
			Tables{Read: []string{"customers", "orders"}}},
		{"cte is no table", "WITH c AS (SELECT * FROM customers) SELECT count(*) FROM c", Tables{Read: []string{"customers"}}},
		{"recursive cte", "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 5) SELECT sum(n) FROM t", Tables{}},
		{"extract from", "SELECT extract(year FROM created_at), substring(name FROM 2) FROM orders", Tables{Read: []string{"orders"}}},
		{"distinct from", "SELECT 1 FROM t WHERE a IS DISTINCT FROM b", Tables{Read: []string{"t"}}},
		{"quoted", `SELECT * FROM "Order Lines"`, Tables{Read: []string{"Order Lines"}}},
		{"table command", "TABLE customers", Tables{Read: []string{"customers"}}},
		{"no table", "SELECT 1, now()", Tables{}},
		{"set_config", "select set_config('app.current_tenant_id', $1, true)", Tables{}},
		{"generate_series", "SELECT g FROM generate_series(1, 3) g", Tables{}},
		{"function in from", "SELECT * FROM report_rows($1)", AnyTable},
		{"insert", "INSERT INTO session_activity (tenant_id, action) VALUES ($1, $2)",
			Tables{Read: []string{"session_activity"}, Write: []string{"session_activity"}}},
		{"insert returning", "INSERT INTO account_summaries (a) VALUES ($1) RETURNING id",
			Tables{Read: []string{"account_summaries"}, Write: []string{"account_summaries"}}},
		{"insert select", "INSERT INTO archive SELECT * FROM orders WHERE id = $1",
			Tables{Read: []string{"archive", "orders"}, Write: []string{"archive"}}},
		{"upsert", "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1",
			Tables{Read: []string{"t"}, Write: []string{"t"}}},
		{"update from", "UPDATE ONLY orders o SET total = l.total FROM totals l WHERE l.id = o.id",
			Tables{Read: []string{"orders", "totals"}, Write: []string{"orders"}}},
		{"modifying cte", "WITH u AS (UPDATE stock SET qty = qty - 1 RETURNING id) SELECT * FROM u",
			Tables{Read: []string{"stock"}, Write: []string{"stock"}}},
		{"merge", "MERGE INTO stock s USING moves m ON s.id = m.id WHEN MATCHED THEN UPDATE SET qty = m.qty",
			Tables{Read: []string{"moves", "stock"}, Write: []string{"stock"}}},
		{"copy from", "COPY orders (id) FROM STDIN", Tables{Read: []string{"orders"}, Write: []string{"orders"}}},
		{"copy to", "COPY orders TO STDOUT", Tables{Read: []string{"orders"}}},
		{"two statements", "SELECT 1 FROM a; INSERT INTO b VALUES (1)", Tables{Read: []string{"a", "b"}, Write: []string{"b"}}},

		// What the text does not name: any table.
		{"delete cascades", "DELETE FROM customers WHERE id = $1", AnyTable},
		{"delete in cte", "WITH d AS (DELETE FROM t RETURNING id) SELECT * FROM d", AnyTable},
		{"truncate", "TRUNCATE orders", AnyTable},
		{"ddl", "CREATE TABLE t (id int)", AnyTable},
		{"call", "CALL refresh_totals()", AnyTable},
		{"select into", "SELECT * INTO newt FROM t", AnyTable},
		{"nextval", "INSERT INTO t (id) VALUES (nextval('t_seq'))", AnyTable},
		{"unclosed quote", "SELECT 'oops FROM t", AnyTable},
		{"empty", "", AnyTable},
		{"garbage", "frobnicate the widgets", AnyTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SQLTables(tt.give), tt.give)
		})
	}
}

func TestTablesConflict(t *testing.T) {
	read := func(names ...string) Tables { return Tables{Read: names} }
	write := func(names ...string) Tables { return Tables{Read: names, Write: names} }
	tests := []struct {
		name string
		a, b Tables
		want string
	}{
		{"reads only", read("customers"), read("customers"), ""},
		{"disjoint write", write("session_activity"), read("customers", "orders"), ""},
		{"write then read", write("customers"), read("customers"), "customers"},
		{"read then write", read("orders"), write("orders"), "orders"},
		{"schema qualified", write("public.orders"), read("orders"), "public.orders"},
		{"two writes", write("a"), write("a"), "a"},
		{"any write", AnyTable, read("customers"), "customers"},
		{"any read against a write", Tables{AnyRead: true}, write("t"), "t"},
		{"nothing touched", AnyTable, Tables{}, ""},
		{"pure against write", write("t"), Tables{}, ""},
		{"any against any", AnyTable, Tables{AnyRead: true}, "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Conflict(tt.b))
			assert.Equal(t, tt.want == "", tt.b.Conflict(tt.a) == "", "Conflict is symmetric")
		})
	}
}

func TestTablesFor(t *testing.T) {
	assert.Equal(t, Tables{}, TablesFor(Pure))
	assert.Equal(t, Tables{}, TablesFor(Slow))
	assert.Equal(t, Tables{AnyRead: true}, TablesFor(Read))
	assert.Equal(t, AnyTable, TablesFor(Write))
	assert.Equal(t, AnyTable, TablesFor(Read|Locking))
	assert.Equal(t, AnyTable, TablesFor(Unknown))
}

func TestSQLIsolation(t *testing.T) {
	tests := []struct {
		give string
		want Isolation
		ok   bool
	}{
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", Serializable, true},
		{"set transaction isolation level repeatable read, read only", RepeatableRead, true},
		{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", ReadCommitted, true},
		{"SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", ReadCommitted, true},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", Serializable, true},
		{"BEGIN ISOLATION LEVEL REPEATABLE READ", RepeatableRead, true},
		{"SET TRANSACTION ISOLATION LEVEL $1", IsolationUnknown, true},
		{"SET TRANSACTION READ ONLY", IsolationUnknown, false},
		{"select set_config('app.t', $1, true)", IsolationUnknown, false},
		{"SELECT 'isolation level serializable'", IsolationUnknown, false},
	}
	for _, tt := range tests {
		got, ok := SQLIsolation(tt.give)
		assert.Equal(t, tt.want, got, tt.give)
		assert.Equal(t, tt.ok, ok, tt.give)
	}
}

func TestParseIsolation(t *testing.T) {
	for give, want := range map[string]Isolation{
		"read committed": ReadCommitted, "READ_COMMITTED": ReadCommitted, "ReadCommitted": ReadCommitted,
		"repeatable-read": RepeatableRead, "Serializable": Serializable, "LevelSerializable": IsolationUnknown,
	} {
		got, _ := ParseIsolation(give)
		assert.Equal(t, want, got, give)
	}
}
