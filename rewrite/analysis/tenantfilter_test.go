package analysis

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFiltersOn(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"SELECT name FROM customers WHERE tenant_id = $1 AND id = $2", true},
		{"SELECT name FROM customers c WHERE c.tenant_id = $1", true},
		{`SELECT name FROM customers WHERE "tenant_id" = $1`, true},
		{"SELECT name FROM customers WHERE tenant_id IN (SELECT 1) ORDER BY name", true},
		{"SELECT o.id FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = $1", true},
		{"SELECT name FROM customers WHERE id = $1", false},
		{"SELECT tenant_id, name FROM customers WHERE id = $1", false},
		{"SELECT name FROM customers WHERE tenant_id = $1 OR id = $2", false},
		{"SELECT name FROM customers WHERE other_tenant_id = $1", false},
		{"SELECT name FROM customers", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FiltersOn(tt.give, "tenant_id"), tt.give)
	}
}
