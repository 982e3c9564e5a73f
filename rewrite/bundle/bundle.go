// Package bundle carries the source of txscope's runtime package tenantpool,
// and of its sub-packages (sqlxpool), inside the txscope binary. A rewrite that needs a tenant-scoped handle in a
// module that does not require github.com/txscope/txscope writes this source
// into the module itself: no network, no published module, no new
// dependency to review.
//
// In: the txscope version. Out: the runtime's files, each stamped with a
// header that names the version and a digest of the body, so that a later
// run can tell its own unedited copy (replaced when txscope changes) from a
// copy someone edited by hand (never overwritten).
package bundle

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/txtar"
)

// archive is the runtime's source, kept equal to ../../tenantpool (and its
// sub-packages) by
// TestArchiveMatchesRuntime (go test ./rewrite/bundle -update refreshes it).
//
//go:embed tenantpool.txtar
var archive []byte

// Package is the runtime's package name.
const Package = "tenantpool"

// ImportPath is the runtime's import path in txscope's module; a copy's
// sub-packages import the copy's own path instead (File.Source).
const ImportPath = "github.com/txscope/txscope/tenantpool"

// Driver is the database driver a runtime file serves.
type Driver string

const (
	Core Driver = "core"         // needed by every driver
	PGX  Driver = "pgx"          // github.com/jackc/pgx/v5
	SQL  Driver = "database/sql" // the standard library's database/sql
	SQLX Driver = "sqlx"         // github.com/jmoiron/sqlx, on top of database/sql
	// Recheck is not a driver but the part only --recheck write blocks
	// use (ErrConflict): a copy gets it when its edits name it.
	Recheck Driver = "recheck"
)

// builtOn are the drivers whose files a driver's files use.
var builtOn = map[Driver][]Driver{SQLX: {SQL}}

// parts are the files that import no driver but are not core.
var parts = map[string]Driver{"conflict.go": Recheck}

// File is one file of the runtime.
type File struct {
	// Name is the file's slash-separated path in the runtime's directory:
	// "sql.go", or "sqlxpool/sqlxpool.go" in a sub-package.
	Name   string
	Driver Driver
	Body   []byte   // the source as it is in txscope's tenantpool
	Decls  []string // the package-level names it declares
}

// Files are the runtime's files, by name.
var Files = sync.OnceValue(func() []File {
	files, err := parseArchive(archive)
	if err != nil {
		panic("bundle: " + err.Error()) // the archive is built with the binary
	}
	return files
})

func parseArchive(data []byte) ([]File, error) {
	var out []File
	for _, f := range txtar.Parse(data).Files {
		file, err := parseFile(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, file)
	}
	return out, nil
}

// parseFile reads a file's driver from its imports (pgx, else sqlx, else
// database/sql, else its part or core) and the names it declares.
func parseFile(name string, body []byte) (File, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, body, parser.SkipObjectResolution)
	if err != nil {
		return File{}, err
	}
	file := File{Name: name, Driver: cmp.Or(parts[name], Core), Body: body}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case strings.HasPrefix(path, "github.com/jackc/pgx/"):
			file.Driver = PGX
		case path == "github.com/jmoiron/sqlx" && file.Driver != PGX:
			file.Driver = SQLX
		case path == "database/sql" && file.Driver == Core:
			file.Driver = SQL
		}
	}
	for _, d := range f.Decls {
		file.Decls = append(file.Decls, declared(d)...)
	}
	slices.Sort(file.Decls)
	file.Decls = slices.Compact(file.Decls)
	return file, nil
}

// declared are the package-level names a declaration introduces; methods
// belong to their type.
func declared(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			names = append(names, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch spec := spec.(type) {
			case *ast.TypeSpec:
				names = append(names, spec.Name.Name)
			case *ast.ValueSpec:
				for _, n := range spec.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// Dir is the file's package directory in the runtime's: "" for the
// runtime's own package, "sqlxpool" for that sub-package.
func (f File) Dir() string { return DirOf(f.Name) }

// DirOf is the package directory of the runtime's file name (a File.Name).
func DirOf(name string) string {
	if dir := path.Dir(name); dir != "." {
		return dir
	}
	return ""
}

// Source is the file's body in a copy whose package tenantpool has the
// import path runtime: a sub-package imports the copy, not txscope's module.
func (f File) Source(runtime string) []byte {
	return bytes.ReplaceAll(f.Body, []byte(strconv.Quote(ImportPath)), []byte(strconv.Quote(runtime)))
}

// SubPackages are the runtime's sub-package directories, each with the
// driver its files serve.
func SubPackages() map[string]Driver {
	subs := map[string]Driver{}
	for _, f := range Files() {
		if dir := f.Dir(); dir != "" {
			subs[dir] = f.Driver
		}
	}
	return subs
}

// IsPackage reports whether name is the name of the runtime's package or of
// one of its sub-packages.
func IsPackage(name string) bool {
	_, sub := SubPackages()[name]
	return name == Package || sub
}

// ForDrivers are the files the given drivers need, core files and those of
// the drivers they are built on included (sqlx's need database/sql's).
func ForDrivers(drivers ...Driver) []File {
	need := slices.Clone(drivers)
	for i := 0; i < len(need); i++ {
		need = append(need, builtOn[need[i]]...)
	}
	var out []File
	for _, f := range Files() {
		if f.Driver == Core || slices.Contains(need, f.Driver) {
			out = append(out, f)
		}
	}
	return out
}

// DriverOf is the driver whose files in the package directory dir (""
// for the runtime's own) declare name ("" for a core name or one the
// runtime does not declare).
func DriverOf(dir, name string) Driver {
	for _, f := range Files() {
		if f.Dir() == dir && f.Driver != Core && slices.Contains(f.Decls, name) {
			return f.Driver
		}
	}
	return ""
}

const (
	generatedLine = "// Code generated by txscope %s from its runtime package tenantpool. DO NOT EDIT.\n"
	updateLine    = "// A newer txscope updates this copy in its rewrite diff while the copy is unedited.\n"
	digestPrefix  = "// txscope-runtime sha256:"
)

// Stamp is body headed by the txscope version and the body's digest.
func Stamp(version string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, generatedLine, version)
	b.WriteString(updateLine)
	b.WriteString(digestPrefix + digest(body) + "\n\n")
	b.Write(body)
	return b.Bytes()
}

// Copy is what a file of a module's runtime directory turns out to be.
type Copy int

const (
	Foreign Copy = iota // not written by txscope
	Edited              // written by txscope, then changed by hand
	Intact              // as txscope wrote it
)

// Inspect tells a file written by Stamp, unchanged since, from one edited
// after it and from one txscope did not write; body is what follows the
// header.
func Inspect(data []byte) (c Copy, body []byte) {
	lines := bytes.SplitAfterN(data, []byte("\n"), 5)
	if len(lines) < 5 || !bytes.HasPrefix(lines[0], []byte("// Code generated by txscope ")) || !bytes.HasPrefix(lines[2], []byte(digestPrefix)) {
		return Foreign, nil
	}
	sum := strings.TrimSpace(strings.TrimPrefix(string(lines[2]), digestPrefix))
	body = lines[4]
	if string(lines[3]) != "\n" || sum != digest(body) {
		return Edited, body
	}
	return Intact, body
}

func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
