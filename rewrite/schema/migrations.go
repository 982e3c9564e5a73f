package schema

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Where a module's migrations are by convention, in the order tried after
// an sqlc configuration: the first that exists is taken.
var conventions = []string{"migrations", "db/migrations", "sql/migrations", "schema.sql", "db/schema.sql"}

var sqlcConfigs = []string{"sqlc.yaml", "sqlc.yml", "sqlc.json"}

// Discover finds the migrations of the module at dir: the PostgreSQL
// schema paths of its sqlc configuration, or else the first of
// migrations/, db/migrations/, sql/migrations/, schema.sql, db/schema.sql.
// The paths are dir joined with what was found, files or directories for
// FromMigrations; none, and no error, when the module has none of these.
func Discover(dir string) ([]string, error) {
	for _, name := range sqlcConfigs {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			return sqlcSchemas(path)
		}
	}
	for _, c := range conventions {
		path := filepath.Join(dir, filepath.FromSlash(c))
		if _, err := os.Stat(path); err == nil {
			return []string{path}, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, nil
}

// sqlcConfig is what txscope reads of sqlc.yaml, versions 1 and 2.
type sqlcConfig struct {
	SQL      []sqlcEntry `yaml:"sql"`
	Packages []sqlcEntry `yaml:"packages"`
}

type sqlcEntry struct {
	Engine string     `yaml:"engine"`
	Schema stringList `yaml:"schema"`
}

// stringList is a YAML string or list of strings.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	return n.Decode((*[]string)(l))
}

// sqlcSchemas reads the schema paths of sqlc's PostgreSQL entries,
// relative to the configuration file.
func sqlcSchemas(config string) ([]string, error) {
	data, err := os.ReadFile(config)
	if err != nil {
		return nil, err
	}
	var cfg sqlcConfig
	// JSON is YAML too.
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", config, err)
	}
	var paths []string
	for _, e := range append(cfg.SQL, cfg.Packages...) {
		if e.Engine != "" && e.Engine != "postgresql" {
			continue
		}
		for _, p := range e.Schema {
			path := filepath.Join(filepath.Dir(config), filepath.FromSlash(p))
			if !slices.Contains(paths, path) {
				paths = append(paths, path)
			}
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no schema for engine postgresql", config)
	}
	return paths, nil
}

// FromMigrations reads the SQL of paths, in order, and applies it: a file
// as it is, a directory's migrations in migration order (see Files). An
// error lists every statement that matters but could not be read, each an
// *Error with its file:line:col; the Schema is then nil.
func FromMigrations(paths ...string) (*Schema, error) {
	return FromMigrationsIn("", paths...)
}

// FromMigrationsIn is FromMigrations with every position's file named
// relative to root, as a user at the module root refers to it.
func FromMigrationsIn(root string, paths ...string) (*Schema, error) {
	b := newBuilder()
	for _, path := range paths {
		files, err := Files(path)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			name := f
			if rel, err := filepath.Rel(root, f); root != "" && err == nil {
				name = filepath.ToSlash(rel)
			}
			b.apply(name, upSection(string(data)))
		}
	}
	return b.result()
}

// Files are the migration files of path in the order they are applied: the
// file itself, or a directory's *.sql files (not its subdirectories) but
// golang-migrate's *.down.sql, ordered by the version their names start
// with, or as atlas.sum lists them when the directory has one.
func Files(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	if files, err := atlasFiles(path); err != nil || files != nil {
		return files, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".sql") && !strings.HasSuffix(n, ".down.sql") {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool { return migrationLess(names[i], names[j]) })
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = filepath.Join(path, n)
	}
	return files, nil
}

// atlasFiles lists the files of an atlas migration directory in the order
// of its atlas.sum (a total hash, then "name hash" a line); nil when the
// directory has no atlas.sum.
func atlasFiles(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, "atlas.sum"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	files := []string{}
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		name, _, _ := strings.Cut(sc.Text(), " ")
		if !first && strings.HasSuffix(name, ".sql") {
			files = append(files, filepath.Join(dir, filepath.FromSlash(name)))
		}
	}
	return files, sc.Err()
}

var leadingVersion = regexp.MustCompile(`^[0-9]+`)

// migrationLess orders file names by their leading version, compared as
// numbers (2_x before 10_x), and by name when either has none or they tie.
func migrationLess(a, b string) bool {
	va := strings.TrimLeft(leadingVersion.FindString(a), "0")
	vb := strings.TrimLeft(leadingVersion.FindString(b), "0")
	if leadingVersion.MatchString(a) && leadingVersion.MatchString(b) && va != vb {
		if len(va) != len(vb) {
			return len(va) < len(vb)
		}
		return va < vb
	}
	return a < b
}

// Annotations that split a file into up and down migrations.
var (
	upMarker   = regexp.MustCompile(`(?i)^--\s*(\+goose\s+up|migrate:up)\b`)
	downMarker = regexp.MustCompile(`(?i)^--\s*(\+goose\s+down|migrate:down)\b`)
)

// upSection keeps only the up migration of a goose or dbmate file: the
// rest is blanked, newlines kept, so positions stay those of the file. A
// file without annotations is all up.
func upSection(src string) string {
	lines := strings.SplitAfter(src, "\n")
	annotated := false
	for _, l := range lines {
		if upMarker.MatchString(l) || downMarker.MatchString(l) {
			annotated = true
			break
		}
	}
	if !annotated {
		return src
	}
	var b strings.Builder
	up := false
	for _, l := range lines {
		switch {
		case upMarker.MatchString(l):
			up = true
		case downMarker.MatchString(l):
			up = false
		}
		if up {
			b.WriteString(l)
		} else {
			b.WriteString(blank(l))
		}
	}
	return b.String()
}

// blank replaces a line's text with spaces, keeping its length and
// line ending.
func blank(line string) string {
	body := strings.TrimRight(line, "\r\n")
	return strings.Repeat(" ", len(body)) + line[len(body):]
}
