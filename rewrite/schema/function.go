package schema

import (
	"strconv"
	"strings"

	"github.com/txscope/txscope/rules"
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
	Name  string // "app.current_tenant_id"; "" when not a literal
	Local bool   // set_config's third argument is true
	Param int    // the function's parameter that gives the value; -1 for anything else
}

// QualifiedName is "schema.name".
func (f *Function) QualifiedName() string { return f.Schema + "." + f.Name }

// createFunction reads CREATE [OR REPLACE] FUNCTION name(params) … AS
// 'body' …; only a function whose body calls set_config is kept, and a
// redefinition replaces what an earlier one said. A SET clause among the
// options confines the body's setting of the same name to the call: such
// a function is not one a handle could stand in for.
func (b *builder) createFunction(c *cursor) {
	at := c.toks[0]
	schema, name, ok := c.name()
	if !ok || !c.punct("(") {
		return
	}
	f := &Function{Schema: b.creationSchema(schema), Name: name, Pos: b.pos(at.Start)}
	delete(b.schema.Functions, f.QualifiedName())
	close := sqllex.Closing(c.toks, c.i-1)
	var params []string
	for _, p := range sqllex.SplitTop(c.toks[c.i:close]) {
		params = append(params, paramName(p))
	}
	c.i = close + 1
	confined := map[string]bool{}
	for !c.done() && !c.words("as") {
		if c.words("set") {
			confined[c.settingName()] = true
			continue
		}
		c.i++
	}
	if c.done() || c.peek().Kind != sqllex.String {
		return
	}
	if !readBody(f, c.peek().Text, params) || len(f.Sets) == 0 {
		return
	}
	for _, set := range f.Sets {
		f.OnlySets = f.OnlySets && !confined[set.Name]
	}
	if b.schema.Functions == nil {
		b.schema.Functions = map[string]*Function{}
	}
	b.schema.Functions[f.QualifiedName()] = f
}

// settingName reads a configuration parameter's name (app.tenant_id).
func (c *cursor) settingName() string {
	var name strings.Builder
	for !c.done() && (c.peek().IsName() || c.peek().IsPunct(".")) {
		name.WriteString(strings.ToLower(c.peek().Text))
		c.i++
	}
	return name.String()
}

// dropFunctions reads DROP FUNCTION [IF EXISTS] name[(args)], ….
func (b *builder) dropFunctions(c *cursor) {
	c.words("if", "exists")
	for _, part := range sqllex.SplitTop(c.rest()) {
		if schema, name, ok := (&cursor{toks: part}).name(); ok {
			delete(b.schema.Functions, b.creationSchema(schema)+"."+name)
		}
	}
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
// anything else; false when the body does not lex. A call counts as only
// setting when its name is a literal, its value one of the parameters as it
// came (a cast allowed) and its is_local a literal boolean.
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
			use := rules.SetConfig(args)
			s := FuncSetting{Name: use.Name, Local: use.Local, Param: -1}
			if len(args) > 1 {
				s.Param = paramRef(args[1], params)
			}
			f.Sets = append(f.Sets, s)
			f.OnlySets = f.OnlySets && len(args) == 3 && use.Name != "" && literalBool(args[2]) && s.Param >= 0
			i = close
			continue
		}
		if t.Kind == sqllex.Word && !bodyWords[t.Text] || t.Kind != sqllex.Word && !t.IsPunct(";") {
			f.OnlySets = false
		}
	}
	return true
}

// literalBool is true, false or a quoted boolean.
func literalBool(arg []sqllex.Token) bool {
	return len(arg) == 1 && (arg[0].Is("true") || arg[0].Is("false") || arg[0].Kind == sqllex.String)
}

// paramRef is the parameter an argument is ($2, or its name, possibly
// cast: p_org::text), or -1.
func paramRef(arg []sqllex.Token, params []string) int {
	if len(arg) == 3 && arg[1].IsPunct("::") {
		arg = arg[:1]
	}
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

// SetterCall finds the first call of a setting function in sql: the
// function, the SQL of each of its arguments, and whether sql is exactly
// `SELECT fn(args)`. Anything around the call (a WHERE that may skip it,
// other columns) makes it more than the setting.
func (s *Schema) SetterCall(sql string) (f *Function, args [][]sqllex.Token, exact bool) {
	if s == nil || len(s.Functions) == 0 {
		return nil, nil, false
	}
	toks, err := sqllex.Lex(sql)
	if err != nil {
		return nil, nil, false
	}
	if last := len(toks) - 1; last >= 0 && toks[last].IsPunct(";") {
		toks = toks[:last]
	}
	for i := range toks {
		if f, open := s.functionAt(toks, i); f != nil {
			end := sqllex.Closing(toks, open)
			exact = i == 1 && toks[0].Is("select") && end == len(toks)-1
			return f, sqllex.SplitTop(toks[open+1 : end]), exact
		}
	}
	return nil, nil, false
}

// functionAt is the setting function called at toks[i] (name or
// schema.name, then '('), and the index of its '('.
func (s *Schema) functionAt(toks []sqllex.Token, i int) (*Function, int) {
	if s == nil || len(s.Functions) == 0 || i >= len(toks) || !toks[i].IsName() {
		return nil, -1
	}
	schema, name, open := defaultSchema, toks[i].Text, i+1
	if i+3 < len(toks) && toks[i+1].IsPunct(".") && toks[i+2].IsName() {
		schema, name, open = toks[i].Text, toks[i+2].Text, i+3
	}
	if f := s.Functions[schema+"."+name]; f != nil && open < len(toks) && toks[open].IsPunct("(") {
		return f, open
	}
	return nil, -1
}
