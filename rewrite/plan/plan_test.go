package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShortName(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"function", "example.com/app/store.GetCustomer", "store.GetCustomer"},
		{"method", "net/http.(*Client).Do", "http.(*Client).Do"},
		{"major version", "github.com/jackc/pgx/v5.Tx.Commit", "pgx.Tx.Commit"},
		{"standard library", "time.Sleep", "time.Sleep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ShortName(tt.give))
		})
	}
}
