package analysis

import (
	"go/ast"
	"go/types"
	"slices"

	"github.com/txscope/txscope/rules"
	"golang.org/x/tools/go/types/typeutil"
)

// hookDepth bounds the walk through a model's fields to the types whose
// callbacks an eager load or create may run (associations of associations).
const hookDepth = 4

// hooks is the effect of the model callbacks a driver method runs with the
// transaction (pop's AfterFind, BeforeCreate…): the summary of each one the
// model's type, or a type in its fields (associations that an eager call
// loads or creates), declares. The models are argument 0 and what the
// receiver's chain names (GORM's Model(&m)). A model whose type is not
// known statically, or a callback whose body is not in the loaded code, is
// unknown.
func (c *Classifier) hooks(info *types.Info, call *ast.CallExpr, rule rules.MethodRule) (rules.Effect, string) {
	models := chainModels(info, call)
	if len(call.Args) > 0 {
		models = append(models, call.Args[0])
	}
	if len(models) == 0 {
		return rules.Unknown, "the model argument is missing"
	}
	if rule.NeedsModel && !slices.ContainsFunc(models, func(m ast.Expr) bool { return isModelType(info.TypeOf(m)) }) {
		return rules.Unknown, "the model whose callbacks it runs was named where the handle was made"
	}
	var effect rules.Effect
	why := ""
	seen := map[*types.Named]bool{}
	var visit func(t types.Type, depth int)
	visit = func(t types.Type, depth int) {
		n := modelNamed(t)
		if n == nil || seen[n] || depth > hookDepth {
			return
		}
		seen[n] = true
		for _, name := range rule.Hooks {
			obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(n), true, n.Obj().Pkg(), name)
			if fn, ok := obj.(*types.Func); ok && isCallback(fn) {
				e, w := c.hook(fn)
				effect |= e
				if why == "" && e != rules.Pure {
					why = w
				}
			}
		}
		switch u := n.Underlying().(type) {
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				visit(u.Field(i).Type(), depth+1)
			}
		case *types.Slice:
			visit(u.Elem(), depth) // type Widgets []Widget: pop runs each element's callbacks too
		case *types.Array:
			visit(u.Elem(), depth)
		}
	}
	for _, m := range models {
		t := info.TypeOf(m)
		if opaqueModel(t) {
			return rules.Unknown, "the model's type (" + types.TypeString(t, nil) + ") is not known statically, so its callbacks cannot be read"
		}
		visit(t, 0)
	}
	return effect, why
}

// chainModels are the arguments of the calls in call's receiver chain that
// name the statement's model (GORM's Model(&m) in tx.Model(&m).Where(…)).
func chainModels(info *types.Info, call *ast.CallExpr) []ast.Expr {
	var out []ast.Expr
	for {
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		inner, ok := ast.Unparen(ReceiverExpr(call, fn)).(*ast.CallExpr)
		if !ok {
			return out
		}
		fn, _ = typeutil.Callee(info, inner).(*types.Func)
		if fn == nil {
			return out
		}
		rule, ok := rules.TxMethod(fn)
		if !ok || !rule.Alias {
			return out
		}
		if rule.SetsModel && len(inner.Args) > 0 {
			out = append(out, inner.Args[0])
		}
		call = inner
	}
}

// isModelType reports whether t is a model: a named struct, or a pointer,
// slice or array of them.
func isModelType(t types.Type) bool {
	n := modelNamed(t)
	if n == nil {
		return false
	}
	_, ok := n.Underlying().(*types.Struct)
	return ok
}

// isCallback matches the callbacks' shape, a method of one parameter that
// takes the connection (AfterFind(tx *pop.Connection) error): a method of
// the same name with another signature is not one the library calls.
func isCallback(fn *types.Func) bool {
	sig := fn.Type().(*types.Signature)
	return sig.Params().Len() == 1 && rules.IsTxType(sig.Params().At(0).Type())
}

// hook is the effect of one callback, called with the transaction.
func (c *Classifier) hook(fn *types.Func) (rules.Effect, string) {
	if _, ok := c.prog.Source(fn); !ok {
		return rules.Unknown, "callback " + rules.FuncName(fn) + " runs with the tx, and its body is not in the loaded code"
	}
	e, why, _ := c.summarize(fn, []int{0}, nil)
	if why == "" {
		why = "callback " + rules.FuncName(fn)
	}
	return e, why
}

// modelNamed is the named type of a model value: T in T, *T, []T or
// *[]*T; nil for an interface or anything unnamed (which has no methods).
func modelNamed(t types.Type) *types.Named {
	n, ok := types.Unalias(elemType(t)).(*types.Named)
	if !ok || types.IsInterface(n) {
		return nil
	}
	return n
}

// opaqueModel reports whether the dynamic type of a model value, and so
// its callbacks, is unknown: an interface or a type parameter.
func opaqueModel(t types.Type) bool {
	t = elemType(t)
	_, isParam := types.Unalias(t).(*types.TypeParam)
	return t == nil || isParam || types.IsInterface(t)
}

// elemType strips pointers, slices and arrays: the type of one model.
func elemType(t types.Type) types.Type {
	for {
		switch u := types.Unalias(t).(type) {
		case *types.Pointer:
			t = u.Elem()
		case *types.Slice:
			t = u.Elem()
		case *types.Array:
			t = u.Elem()
		default:
			return t
		}
	}
}
