package textdiff

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKeepLines(t *testing.T) {
	tests := []struct {
		name                 string
		orig, restored, want string
	}{{
		name:     "formatted input comes out as restored",
		orig:     "// F does.\nfunc F() {\n\ta()\n\tb()\n}",
		restored: "// F does.\nfunc F() {\n\ta()\n\tc()\n\tb()\n}",
		want:     "// F does.\nfunc F() {\n\ta()\n\tc()\n\tb()\n}",
	}, {
		name:     "untouched lines keep their odd formatting",
		orig:     "func F() {\n    x:=1\n\tg( x )   // why\n\th(x)\n}",
		restored: "func F() {\n\tx := 1\n\tg(x) // why\n\tq := 2\n\th(x, q)\n}",
		want:     "func F() {\n    x:=1\n\tg( x )   // why\n\tq := 2\n\th(x, q)\n}",
	}, {
		name:     "a statement moved out of a block is reindented",
		orig:     "func F() {\n\tw(func() {\n\t\tx:=1\n\t\ty(x)\n\t})\n}",
		restored: "func F() {\n\tx := 1\n\ty(x)\n}",
		want:     "func F() {\n\tx := 1\n\ty(x)\n}",
	}, {
		name:     "CRLF stays, added lines get it",
		orig:     "func F() {\r\n\ta()\r\n}",
		restored: "func F() {\n\ta()\n\tb()\n}",
		want:     "func F() {\r\n\ta()\r\n\tb()\r\n}",
	}, {
		name:     "a raw string's lines are never taken for code",
		orig:     "func F() {\n\tx:=1\n\t_ = x\n}",
		restored: "func F() {\n\ts := `\n\tx := 1\n`\n\t_ = s\n}",
		want:     "func F() {\n\ts := `\n\tx := 1\n`\n\t_ = s\n}",
	}, {
		name:     "a multi-line raw string left alone keeps its formatting around it",
		orig:     "func F() {\n\ts:=`a\n b`\n\tg( s )\n}",
		restored: "func F() {\n\ts := `a\n b`\n\tg(s)\n\th()\n}",
		want:     "func F() {\n\ts := `a\n b`\n\tg( s )\n\th()\n}",
	}, {
		name:     "a line gofmt splits or rewrites comes out formatted",
		orig:     "func F() {\n\tif ok { return }\n\tx := 1;\n\tg(x)\n}",
		restored: "func F() {\n\tif ok {\n\t\treturn\n\t}\n\tx := 1\n\th(x)\n}",
		want:     "func F() {\n\tif ok {\n\t\treturn\n\t}\n\tx := 1\n\th(x)\n}",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eol := LineEnding([]byte(tt.orig))
			assert.Equal(t, tt.want, string(KeepLines([]byte(tt.orig), []byte(tt.restored), eol)))
		})
	}
}

func TestMatchLines(t *testing.T) {
	a := strings.Fields("a b c d")
	b := strings.Fields("a x c d e")
	assert.Equal(t, []int{0, -1, 2, 3, -1}, matchLines(a, b))
	assert.Equal(t, []int{-1}, matchLines(nil, []string{"a"}))
}
