package analysis

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"github.com/txscope/txscope/rewrite/internal/syntax"
	"github.com/txscope/txscope/rewrite/load"
	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// readIsolation reads the isolation level of the transactions a wrapper's
// body begins: the TxOptions of a pgx or database/sql BeginTx (or
// BeginTxFunc, gorm's Transaction), a SET TRANSACTION ISOLATION LEVEL (or
// BEGIN … ISOLATION LEVEL) the body executes, or, when it chooses none,
// the database's default: txscope.yaml's isolation:, else PostgreSQL's
// read committed. why names the evidence, for the report. A level set
// from a value that is not a constant, or two different levels, is
// unknown.
func readIsolation(prog *load.Program, src load.FuncSource) (level rules.Isolation, why string) {
	dbLevel, dbWhy := dbIsolation(prog)
	info := src.Pkg.TypesInfo
	found := false
	set := func(l rules.Isolation, w string) bool {
		if l == isolationDefault {
			l, w = dbLevel, w+": "+dbWhy
		}
		if found && l != level {
			level, why = rules.IsolationUnknown, "it begins transactions at more than one isolation level"
			return false
		}
		level, why, found = l, w, true
		return l != rules.IsolationUnknown
	}
	ast.Inspect(src.Decl.Body, func(n ast.Node) bool {
		if found && level == rules.IsolationUnknown {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		if fn == nil {
			return true
		}
		for _, a := range call.Args {
			if isTxOptions(info.TypeOf(a)) {
				l, w := optionsIsolation(info, a)
				set(l, w+" in "+fn.Name()+" at "+prog.Position(a.Pos()))
			}
		}
		if text, _, ok := sqlArg(info, call); ok {
			if l, sets := rules.SQLIsolation(text.Text); sets {
				set(l, "it executes "+strings.Join(strings.Fields(text.Text), " ")+" at "+prog.Position(call.Pos()))
			}
		}
		return true
	})
	if found {
		return level, why
	}
	return dbLevel, "it chooses no level: " + dbWhy
}

// dbIsolation is the level of a transaction that chooses none: the
// database's default, txscope.yaml's isolation:, else read committed.
func dbIsolation(prog *load.Program) (rules.Isolation, string) {
	if cfg := prog.Config; cfg != nil && cfg.Isolation != rules.IsolationUnknown {
		return cfg.Isolation, "the database's default, isolation: in " + rules.ConfigFile
	}
	return rules.ReadCommitted, "PostgreSQL's default (no isolation: in " + rules.ConfigFile + ")"
}

// callIsolation reads the options a call passes (pgx.BeginTxFunc's
// TxOptions, GORM's Transaction(fc, &sql.TxOptions{…})): the level of the
// transaction a library wrapper begins for it. ok is false when the call
// passes none.
func callIsolation(prog *load.Program, info *types.Info, call *ast.CallExpr) (level rules.Isolation, why string, ok bool) {
	for _, a := range call.Args {
		if !isTxOptions(info.TypeOf(a)) {
			continue
		}
		level, why = optionsIsolation(info, a)
		if level == isolationDefault {
			db, dbWhy := dbIsolation(prog)
			level, why = db, why+": "+dbWhy
		}
		return level, why + " at " + prog.Position(a.Pos()), true
	}
	return "", "", false
}

// Isolation is the level the site's transaction runs at: for a library
// wrapper, the options its call passes, else the wrapper's.
func (s *Site) Isolation(prog *load.Program) (rules.Isolation, string) {
	if _, lib := rules.LibraryWrapper(s.Wrapper.Func); lib && s.Call != nil && s.Func.Pkg != nil {
		if level, why, ok := callIsolation(prog, s.Func.Pkg.TypesInfo, s.Call); ok {
			return level, why
		}
	}
	return s.Wrapper.Isolation, s.Wrapper.IsolationWhy
}

// isTxOptions matches pgx.TxOptions and database/sql's *TxOptions.
func isTxOptions(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Name() != "TxOptions" || n.Obj().Pkg() == nil {
		return false
	}
	path := n.Obj().Pkg().Path()
	return path == "database/sql" || path == "github.com/jackc/pgx/v5" || path == "github.com/jackc/pgx/v4"
}

// optionsIsolation reads the level out of a TxOptions argument: a literal
// (or its address) whose IsoLevel (pgx) or Isolation (database/sql) is a
// constant; nil or no such field is the database's default.
func optionsIsolation(info *types.Info, e ast.Expr) (rules.Isolation, string) {
	e = ast.Unparen(e)
	if IsNil(info, e) {
		return isolationDefault, "nil options"
	}
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = ast.Unparen(u.X)
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return rules.IsolationUnknown, "options " + types.ExprString(e) + " that are not a literal"
	}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return rules.IsolationUnknown, "options without field names"
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil || key.Name != "IsoLevel" && key.Name != "Isolation" {
			continue
		}
		return constIsolation(info, kv.Value)
	}
	return isolationDefault, types.ExprString(lit) + " (no level)"
}

// isolationDefault stands for "the database's default" until readIsolation
// resolves it; it never leaves this file.
const isolationDefault rules.Isolation = "default"

// constIsolation reads pgx.Serializable (a string constant) or
// sql.LevelSerializable (an int constant, read by its name).
func constIsolation(info *types.Info, e ast.Expr) (rules.Isolation, string) {
	text := types.ExprString(e)
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil {
		return rules.IsolationUnknown, text + ", not a constant"
	}
	if tv.Value.Kind() == constant.String {
		s := constant.StringVal(tv.Value)
		if s == "" {
			return isolationDefault, text
		}
		if l, ok := rules.ParseIsolation(s); ok {
			return l, text
		}
		return rules.IsolationUnknown, text
	}
	if id := syntax.NameOf(e); id != nil {
		name := strings.TrimPrefix(id.Name, "Level")
		if name == "Default" {
			return isolationDefault, text
		}
		if l, ok := rules.ParseIsolation(name); ok {
			return l, text
		}
	}
	return rules.IsolationUnknown, text
}
