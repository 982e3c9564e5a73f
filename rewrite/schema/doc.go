// Package schema reads what a PostgreSQL schema says about tenancy, so
// that planning and check can trust the database rather than txscope.yaml.
//
// In: the SQL migrations of a module, found by Discover (sqlc's schema
// paths, migrations/, db/migrations/, sql/migrations/, schema.sql,
// db/schema.sql) or named in the config, read offline by FromMigrations in
// migration order (golang-migrate's up files, goose's and dbmate's up
// sections, atlas.sum's order); or a live database, read by package live
// (FromDB: one read-only transaction of catalog queries; PoolMode:
// PgBouncer's pool_mode from its admin console).
//
// Out: a Schema of plain data: its Source, the Tables by qualified name
// with their columns, row-level security (enabled, FORCEd), owner and
// Policies (command, roles, USING and WITH CHECK, the settings they read
// through current_setting), and, when read live, the connecting Role,
// the default isolation level and the pool mode. From it, Requirement says
// what reads of a table need (row-level security on settings, a tenant
// column, or nothing), and CanMove whether reads of some tables may move
// onto a handle that sets given settings, with the reason when not.
//
// Migrations are read by statement: CREATE TABLE, ALTER TABLE (row-level
// security, columns, renames, owner, schema), CREATE, ALTER and DROP
// POLICY, DROP TABLE and SCHEMA, and search_path changes; other statements
// are skipped. A statement that matters but cannot be read (a DO block
// that creates policies, a policy on a table never created) is an *Error
// at its file:line:col, and no Schema is returned.
package schema
