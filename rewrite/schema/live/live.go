package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/txscope/txscope/rewrite/schema"
)

// pgbouncerDB is the database name of PgBouncer's admin console.
const pgbouncerDB = "pgbouncer"

// FromDB reads the schema of a live PostgreSQL: its tables, row-level
// security and policies, the connecting role and the default isolation
// level. It makes one connection, runs catalog queries in a READ ONLY
// transaction and closes it. The URL is never shown with its password:
// Source.URL and every error carry it redacted.
func FromDB(ctx context.Context, rawURL string) (*schema.Schema, error) {
	cfg, shown, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if cfg.Database == pgbouncerDB {
		return nil, fmt.Errorf("schema: %s is PgBouncer's admin console, which has no catalogs: read the database's URL, and this one with PoolMode", shown)
	}
	fail := func(err error) error { return fmt.Errorf("schema: %s: %w", shown, redactError(err, cfg.Password)) }
	// Exec mode prepares no named statements, so that the reader works
	// behind a pooler in transaction mode too.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fail(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fail(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	s := &schema.Schema{Source: schema.Source{Kind: schema.Database, URL: shown}, Tables: map[string]*schema.Table{}}
	for _, read := range []func(context.Context, pgx.Tx, *schema.Schema) error{readTables, readPolicies, readRole, readIsolation} {
		if err := read(ctx, tx, s); err != nil {
			return nil, fail(err)
		}
	}
	return s, nil
}

// Tables and their columns, outside the system schemas.
const tablesQuery = `
select n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
	pg_get_userbyid(c.relowner)::text,
	coalesce(array_agg(a.attname::text order by a.attnum) filter (where a.attnum > 0 and not a.attisdropped), '{}')
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_attribute a on a.attrelid = c.oid
where c.relkind in ('r', 'p') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
group by n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner`

func readTables(ctx context.Context, tx pgx.Tx, s *schema.Schema) error {
	rows, err := tx.Query(ctx, tablesQuery)
	if err != nil {
		return err
	}
	for rows.Next() {
		t := &schema.Table{}
		if err := rows.Scan(&t.Schema, &t.Name, &t.RLS, &t.Force, &t.Owner, &t.Columns); err != nil {
			return err
		}
		s.Tables[t.QualifiedName()] = t
	}
	return rows.Err()
}

const policiesQuery = `
select schemaname::text, tablename::text, policyname::text, permissive = 'RESTRICTIVE', roles::text[],
	lower(cmd), coalesce(qual, ''), coalesce(with_check, '')
from pg_policies
order by policyname`

func readPolicies(ctx context.Context, tx pgx.Tx, s *schema.Schema) error {
	// An empty search path makes PostgreSQL print every table and function
	// of a policy qualified, as the migrations reader resolves them.
	if _, err := tx.Exec(ctx, "select set_config('search_path', '', true)"); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, policiesQuery)
	if err != nil {
		return err
	}
	for rows.Next() {
		var namespace, table string
		p := &schema.Policy{}
		if err := rows.Scan(&namespace, &table, &p.Name, &p.Restrictive, &p.Roles, &p.Command, &p.Using, &p.WithCheck); err != nil {
			return err
		}
		p.Table = namespace + "." + table
		p.ReadExpressions()
		if t := s.Tables[p.Table]; t != nil {
			t.Policies = append(t.Policies, p)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range s.Tables {
		sort.Slice(t.Policies, func(i, j int) bool { return t.Policies[i].Name < t.Policies[j].Name })
	}
	return nil
}

func readRole(ctx context.Context, tx pgx.Tx, s *schema.Schema) error {
	r := &schema.Role{}
	err := tx.QueryRow(ctx, "select rolname::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user").
		Scan(&r.Name, &r.Superuser, &r.BypassRLS)
	if err != nil {
		return err
	}
	s.Role = r
	return nil
}

func readIsolation(ctx context.Context, tx pgx.Tx, s *schema.Schema) error {
	return tx.QueryRow(ctx, "show default_transaction_isolation").Scan(&s.DefaultIsolation)
}

// PoolMode reads pool_mode from PgBouncer's admin console, whose URL names
// the database pgbouncer, through one connection closed at once; it is
// what Schema.PoolMode takes.
func PoolMode(ctx context.Context, adminURL string) (string, error) {
	cfg, shown, err := parseURL(adminURL)
	if err != nil {
		return "", err
	}
	fail := func(err error) error { return fmt.Errorf("schema: %s: %w", shown, redactError(err, cfg.Password)) }
	if cfg.Database != pgbouncerDB {
		return "", fail(errors.New("not PgBouncer's admin console (database pgbouncer)"))
	}
	// The console speaks the simple query protocol only.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", fail(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SHOW CONFIG")
	if err != nil {
		return "", fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", fail(err)
		}
		if len(vals) >= 2 && vals[0] == "pool_mode" {
			mode, _ := vals[1].(string)
			return mode, nil
		}
	}
	if err := rows.Err(); err != nil {
		return "", fail(err)
	}
	return "", fail(errors.New("SHOW CONFIG has no pool_mode"))
}

// parseURL parses a connection string (URL or key=value) and gives it
// back for display: postgres://user:xxxxx@host:port/database, the password
// replaced, the options left out. A string that does not parse is not
// shown at all.
func parseURL(raw string) (cfg *pgx.ConnConfig, shown string, err error) {
	cfg, err = pgx.ParseConfig(raw)
	if err != nil {
		return nil, "", errors.New("schema: the database URL does not parse (it is not shown, as it may hold a password)")
	}
	u := url.URL{Scheme: "postgres", User: url.User(cfg.User), Path: "/" + cfg.Database}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, "xxxxx")
	}
	u.Host = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		// A unix socket directory goes in the query, as libpq reads it.
		u.Host, u.RawQuery = "", url.Values{"host": {cfg.Host}}.Encode()
	}
	return cfg, u.String(), nil
}

// redactError is err with the password, should a message quote it,
// replaced.
func redactError(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}
