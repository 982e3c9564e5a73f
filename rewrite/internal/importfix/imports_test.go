package importfix

import (
	"go/format"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/txscope/txscope/rewrite/internal/textdiff"
)

func TestFixImports(t *testing.T) {
	const (
		pool  = "github.com/txscope/txscope/tenantpool"
		local = "example.com/svc/internal/tenantpool"
		uses  = "\nvar _ = tenantpool.For\n"
	)
	tests := []struct {
		name, src, want string
		add, unused     string // the import to add, the one to remove
	}{{
		name: "sorted into its group, not after the longest prefix",
		src:  "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n\t\"github.com/jackc/pgx/v5/pgconn\"\n\t\"golang.org/x/sync/errgroup\"\n)\n",
		add:  pool,
		want: "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n\t\"github.com/jackc/pgx/v5/pgconn\"\n\t\"github.com/txscope/txscope/tenantpool\"\n\t\"golang.org/x/sync/errgroup\"\n)\n",
	}, {
		name: "a local group kept apart takes the local import",
		src:  "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n\n\t\"example.com/svc/store\"\n)\n",
		add:  local,
		want: "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n\n\t\"example.com/svc/internal/tenantpool\"\n\t\"example.com/svc/store\"\n)\n",
	}, {
		name: "a third-party import stays out of a local group kept apart",
		src:  "package p\n\nimport (\n\t\"github.com/jackc/pgx/v5\"\n\n\t\"example.com/svc/store\"\n)\n",
		add:  pool,
		want: "package p\n\nimport (\n\t\"github.com/jackc/pgx/v5\"\n\t\"github.com/txscope/txscope/tenantpool\"\n\n\t\"example.com/svc/store\"\n)\n",
	}, {
		name: "local and third-party imports in one group stay so",
		src:  "package p\n\nimport (\n\t\"context\"\n\n\t\"example.com/svc/store\"\n)\n",
		add:  pool,
		want: "package p\n\nimport (\n\t\"context\"\n\n\t\"example.com/svc/store\"\n\t\"github.com/txscope/txscope/tenantpool\"\n)\n",
	}, {
		name: "a new group after the standard library",
		src:  "package p\n\nimport (\n\t\"context\"\n\t\"net/http\"\n)\n",
		add:  pool,
		want: "package p\n\nimport (\n\t\"context\"\n\t\"net/http\"\n\n\t\"github.com/txscope/txscope/tenantpool\"\n)\n",
	}, {
		name: "a new standard group first",
		src:  "package p\n\nimport (\n\t\"github.com/jackc/pgx/v5\"\n)\n\nvar _ = pgx.ErrNoRows\nvar _ = errors.New\n",
		add:  "errors",
		want: "package p\n\nimport (\n\t\"errors\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\nvar _ = pgx.ErrNoRows\nvar _ = errors.New\n",
	}, {
		name: "no imports yet",
		src:  "// Package p.\npackage p\n",
		add:  pool,
		want: "// Package p.\npackage p\n\nimport \"github.com/txscope/txscope/tenantpool\"\n",
	}, {
		name: "an unparenthesised import gets parentheses",
		src:  "package p\n\nimport \"context\" // for ctx\n\nvar _ context.Context\n",
		add:  pool,
		want: "package p\n\nimport (\n\t\"context\" // for ctx\n\n\t\"github.com/txscope/txscope/tenantpool\"\n)\n\nvar _ context.Context\n",
	}, {
		name: "nothing joins import \"C\"",
		src:  "package p\n\n// #include <stdio.h>\nimport \"C\"\n",
		add:  pool,
		want: "package p\n\n// #include <stdio.h>\nimport \"C\"\n\nimport \"github.com/txscope/txscope/tenantpool\"\n",
	}, {
		name: "CRLF",
		src:  "package p\r\n\r\nimport (\r\n\t\"context\"\r\n)\r\n",
		add:  pool,
		want: "package p\r\n\r\nimport (\r\n\t\"context\"\r\n\r\n\t\"github.com/txscope/txscope/tenantpool\"\r\n)\r\n",
	}, {
		name:   "an emptied group goes with its blank line",
		src:    "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\nvar _ context.Context\n",
		unused: "github.com/jackc/pgx/v5",
		want:   "package p\n\nimport (\n\t\"context\"\n)\n\nvar _ context.Context\n",
	}, {
		name:   "an emptied first group too",
		src:    "package p\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\nvar _ pgx.Tx\n",
		unused: "context",
		want:   "package p\n\nimport (\n\t\"github.com/jackc/pgx/v5\"\n)\n\nvar _ pgx.Tx\n",
	}, {
		name:   "an emptied declaration goes",
		src:    "package p\n\nimport \"github.com/jackc/pgx/v5\"\n\nvar _ = 1\n",
		unused: "github.com/jackc/pgx/v5",
		want:   "package p\n\nvar _ = 1\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := map[string]string{pool: "tenantpool", local: "tenantpool", "errors": "errors"}
			if tt.unused != "" {
				names[tt.unused] = map[string]string{"context": "context", "github.com/jackc/pgx/v5": "pgx"}[tt.unused]
			}
			use := ""
			if names[tt.add] == "tenantpool" {
				use = strings.ReplaceAll(uses, "\n", textdiff.LineEnding([]byte(tt.src)))
			}
			got, err := FixImports([]byte(tt.src+use), map[string]bool{tt.add: tt.add != ""}, names, "example.com/svc")
			require.NoError(t, err)
			assert.Equal(t, tt.want+use, string(got))
			lf := []byte(strings.ReplaceAll(tt.want+use, "\r\n", "\n"))
			formatted, err := format.Source(lf)
			require.NoError(t, err)
			assert.Equal(t, string(formatted), string(lf), "the want is gofmt-clean")
		})
	}
}
