package schema

import (
	"strconv"
	"strings"

	"github.com/txscope/txscope/rules/sqllex"
)

// Function is a SQL function of the migrations that sets configuration
// parameters: a tenant wrapper may set the tenant through it
// (`SELECT app.set_tenant($1)`).
type Function struct {
	Schema, Name string
	Pos          Pos
	Sets         []FuncSetting
	// OnlySets: the body does nothing but those set_config calls, each
	// with a parameter as it came, so a handle that sets the same
	// settings itself does what a call of the function does.
	OnlySets bool
}

// FuncSetting is one set_config call in a function's body.
type FuncSetting struct {
	Name  string // "app.current_tenant_id"
	Local bool   // set_config's third argument is true
	Param int    // the function's parameter that gives the value; -1 for anything else
}

// QualifiedName is "schema.name".
func (f *Function) QualifiedName() string { return f.Schema + "." + f.Name }

// createFunction reads CREATE [OR REPLACE] FUNCTION name(params) … AS
// 'body' …; only a function whose body calls set_config is kept.
func (b *builder) createFunction(c *cursor) {
	at := c.toks[0]
	schema, name, ok := c.name()
	if !ok || !c.punct("(") {
		return
	}
	close := sqllex.Closing(c.toks, c.i-1)
	var params []string
	for _, p := range sqllex.SplitTop(c.toks[c.i:close]) {
		params = append(params, paramName(p))
	}
	c.i = close + 1
	for !c.done() && !c.words("as") {
		c.i++
	}
	if c.done() || c.peek().Kind != sqllex.String {
		return
	}
	f := &Function{Schema: b.creationSchema(schema), Name: name, Pos: b.pos(at.Start)}
	if !readBody(f, c.peek().Text, params) || len(f.Sets) == 0 {
		return
	}
	if b.schema.Functions == nil {
		b.schema.Functions = map[string]*Function{}
	}
	b.schema.Functions[f.QualifiedName()] = f
}

// paramName is a parameter's name ("p_tenant" of `p_tenant text`,
// `IN p_tenant text`); "" when it has none.
func paramName(p []sqllex.Token) string {
	words := p
	if len(words) > 0 && (words[0].Is("in") || words[0].Is("inout") || words[0].Is("variadic")) {
		words = words[1:]
	}
	if len(words) >= 2 && words[0].IsName() {
		return words[0].Text
	}
	return ""
}

// bodyWords are what a body that only sets may hold besides its set_config
// calls: plpgsql's BEGIN … END with PERFORM, or SQL's SELECT.
var bodyWords = map[string]bool{"begin": true, "end": true, "perform": true, "select": true, "return": true, "null": true}

// readBody finds the set_config calls of body and whether it holds
// anything else; false when the body does not lex.
func readBody(f *Function, body string, params []string) bool {
	toks, err := sqllex.Lex(body)
	if err != nil {
		return false
	}
	f.OnlySets = true
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Is("set_config") && i+1 < len(toks) && toks[i+1].IsPunct("(") {
			close := sqllex.Closing(toks, i+1)
			args := sqllex.SplitTop(toks[i+2 : close])
			if len(args) != 3 || len(args[0]) != 1 || args[0][0].Kind != sqllex.String {
				f.OnlySets = false
			} else {
				s := FuncSetting{Name: args[0][0].Text, Local: len(args[2]) == 1 && args[2][0].Is("true"), Param: paramRef(args[1], params)}
				f.Sets = append(f.Sets, s)
				f.OnlySets = f.OnlySets && s.Param >= 0
			}
			i = close
			continue
		}
		if t.Kind == sqllex.Word && !bodyWords[t.Text] || t.Kind != sqllex.Word && !t.IsPunct(";") {
			f.OnlySets = false
		}
	}
	return true
}

// paramRef is the parameter an argument is exactly ($2, or its name), or -1.
func paramRef(arg []sqllex.Token, params []string) int {
	if len(arg) != 1 {
		return -1
	}
	text := arg[0].Text
	if n, err := strconv.Atoi(strings.TrimPrefix(text, "$")); err == nil && strings.HasPrefix(text, "$") && n >= 1 && n <= len(params) {
		return n - 1
	}
	for i, p := range params {
		if p != "" && p == text {
			return i
		}
	}
	return -1
}

// SetterCall finds the call of a setting function in sql: the function,
// and the SQL of each of its arguments.
func (s *Schema) SetterCall(sql string) (*Function, [][]sqllex.Token) {
	if s == nil || len(s.Functions) == 0 {
		return nil, nil
	}
	toks, err := sqllex.Lex(sql)
	if err != nil {
		return nil, nil
	}
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].IsName() {
			continue
		}
		schema, name, open := defaultSchema, toks[i].Text, i+1
		if i+3 < len(toks) && toks[i+1].IsPunct(".") && toks[i+2].IsName() {
			schema, name, open = toks[i].Text, toks[i+2].Text, i+3
		}
		if f := s.Functions[schema+"."+name]; f != nil && open < len(toks) && toks[open].IsPunct("(") {
			return f, sqllex.SplitTop(toks[open+1 : sqllex.Closing(toks, open)])
		}
	}
	return nil, nil
}
