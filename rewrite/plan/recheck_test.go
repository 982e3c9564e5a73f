package plan

import (
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestComparable lists the types whose old and new values a --recheck
// write block may compare with ==: those where == compares what was read.
func TestComparable(t *testing.T) {
	str := types.Typ[types.String]
	field := func(name string, t types.Type) *types.Var { return types.NewField(0, nil, name, t, false) }
	tests := []struct {
		name string
		typ  types.Type
		want bool
	}{
		{"string", str, true},
		{"int", types.Typ[types.Int], true},
		{"named int", types.NewNamed(types.NewTypeName(0, nil, "Cents", nil), types.Typ[types.Int64], nil), true},
		{"struct of basics", types.NewStruct([]*types.Var{field("ID", str), field("Credit", types.Typ[types.Int])}, nil), true},
		{"array", types.NewArray(str, 2), true},
		{"pointer: identity", types.NewPointer(str), false},
		{"slice", types.NewSlice(str), false},
		{"map", types.NewMap(str, str), false},
		{"interface: may panic", types.NewInterfaceType(nil, nil), false},
		{"struct with a pointer (time.Time's *Location)", types.NewStruct([]*types.Var{field("loc", types.NewPointer(str))}, nil), false},
		{"unsafe.Pointer", types.Typ[types.UnsafePointer], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, comparable(tt.typ))
		})
	}
}

// TestDeepComparable lists the types whose old and new values
// reflect.DeepEqual tells apart by content, when == cannot.
func TestDeepComparable(t *testing.T) {
	str := types.Typ[types.String]
	field := func(name string, t types.Type) *types.Var { return types.NewField(0, nil, name, t, false) }
	fn := types.NewSignatureType(nil, nil, nil, nil, nil, false)
	list := types.NewNamed(types.NewTypeName(0, nil, "List", nil), nil, nil)
	list.SetUnderlying(types.NewStruct([]*types.Var{field("Next", types.NewPointer(list)), field("V", str)}, nil))
	tests := []struct {
		name string
		typ  types.Type
		want bool
	}{
		{"slice", types.NewSlice(str), true},
		{"map", types.NewMap(str, types.NewSlice(str)), true},
		{"pointer", types.NewPointer(str), true},
		{"struct with a slice", types.NewStruct([]*types.Var{field("Roles", types.NewSlice(str))}, nil), true},
		{"recursive type", list, true},
		{"interface", types.NewInterfaceType(nil, nil), true},
		{"func: equal only when nil", fn, false},
		{"struct with a func", types.NewStruct([]*types.Var{field("F", fn)}, nil), false},
		{"channel: identity", types.NewChan(types.SendRecv, str), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, deepComparable(tt.typ, map[types.Type]bool{}))
		})
	}
}
