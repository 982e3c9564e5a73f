package sqllex

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLexKeepsOffsets(t *testing.T) {
	src := "ALTER TABLE \"Orders\" -- note\n ENABLE /* a /* nested */ one */ row level security; $f$ a;b $f$ E'it\\'s'"
	toks, err := Lex(src)
	require.NoError(t, err)
	var got []string
	for _, tok := range toks {
		got = append(got, tok.Text)
		if tok.Kind == Word || tok.Kind == Punct {
			assert.Equal(t, tok.Text, lower(src[tok.Start:tok.End]))
		}
	}
	assert.Equal(t, []string{"alter", "table", "Orders", "enable", "row", "level", "security", ";", " a;b ", "it's"}, got)
	assert.Equal(t, Ident, toks[2].Kind)
	assert.Equal(t, "\"Orders\"", src[toks[2].Start:toks[2].End])
	assert.Len(t, Statements(toks), 2)
}

func TestLexUnclosed(t *testing.T) {
	for _, src := range []string{"select 'x", "select $a$ x", "/* x", `select "x`} {
		_, err := Lex(src)
		var lexErr *Error
		require.ErrorAs(t, err, &lexErr, src)
	}
}

func TestSplitTopAndClosing(t *testing.T) {
	toks, err := Lex("(a int, b numeric(10, 2), c int[] default array[1, 2]) x")
	require.NoError(t, err)
	end := Closing(toks, 0)
	assert.Equal(t, len(toks)-2, end)
	assert.Len(t, SplitTop(toks[1:end]), 3)
	assert.Equal(t, end, Closing(toks[:end], 0), "not closed")
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
