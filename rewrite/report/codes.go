package report

// CodeDoc documents a finding code: the README's findings reference and the
// SARIF rules are generated from this one table.
type CodeDoc struct {
	Code  string
	Name  string
	Title string
	Why   string
}

// Codes lists every finding txscope reports.
var Codes = []CodeDoc{
	{"TS001", "WholeRequestTransaction", "whole-request tenant transaction",
		"the handler holds a pooled connection for the whole request, though only its writes need a transaction; under load the pool runs dry"},
	{"TS002", "SlowCallInTransaction", "slow call inside a tenant transaction",
		"external I/O (HTTP, SDKs, sleeps) inside the transaction holds a connection for its whole duration"},
	{"TS003", "SessionLevelTenant", "tenant setting at session level",
		"set_config(…, false) or SET without LOCAL stays on the server connection; under transaction pooling the next client inherits the tenant"},
	{"TS004", "TenantFormattedIntoSQL", "tenant id formatted into SQL text",
		"formatting the tenant id into the statement invites injection and defeats statement caching; pass it as a bind parameter"},
	{"TS005", "RawPoolRead", "read on a raw pool without a tenant filter",
		"outside a tenant transaction no tenant is set for row-level security, or another client's is left over"},
	{"TS006", "PooledQueryInTransaction", "pooled query inside a tenant transaction",
		"a query on the pool while a transaction holds a connection needs a second one: at pool size this deadlocks"},
	{"TS007", "UnscopedTenantSetting", "tenant set in pool hooks or a single statement",
		"pool hooks run per connection, not per transaction, and a set_config inside a larger statement is not ordered before its reads"},
	{"TS008", "ConfigContradictsSchema", "txscope.yaml contradicts the schema",
		"the config says the database has no row-level security, but its tables have policies: reads moved onto a pool that sets no tenant see no rows or another tenant's"},
	{"TS009", "RoleBypassesRLS", "the database role bypasses row-level security",
		"a superuser or BYPASSRLS role sees every tenant's rows: row-level security protects nothing, in a transaction or not"},
	{"TS010", "NotAnalysed", "code txscope could not analyse",
		"a whole-request transaction txscope cannot read may still be there, so the gate does not pass by skipping it"},
	{"TS011", "SchemaTenancyGap", "a gap in the schema's tenancy",
		"a table with the tenant column but no row-level security, or a policy on a setting no wrapper sets: the database does not scope those reads to the tenant"},
}
