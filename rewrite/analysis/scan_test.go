package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLargerStatement(t *testing.T) {
	tests := []struct {
		name string
		give string
		want bool
	}{
		{"set_config alone", "SELECT set_config('app.tenant_id', $1, true)", false},
		{"set local", "SET LOCAL app.tenant_id = '1'", false},
		{"cte", "WITH t AS (SELECT set_config('app.tenant_id', $1, true)) SELECT * FROM orders, t", true},
		{"select list", "SELECT set_config('app.tenant_id', $1, true), name FROM customers", true},
		{"later statement", "SELECT set_config('app.tenant_id', $1, true); SELECT * FROM orders", false},
		{"inside an insert", "INSERT INTO log SELECT set_config('app.tenant_id', $1, true)", true},
		{"case-insensitive", "select set_config('app.t', $1, true) from dual", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, largerStatement(tt.give))
		})
	}
}
