package tenantpool

import (
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
)

type tenantName string

type tenantNumber int64

// labelled has a String method but is rendered by its integer kind.
type labelled int

func (labelled) String() string { return "label" }

type stringer struct{ id string }

func (s stringer) String() string { return s.id }

type failingValuer struct{}

func (failingValuer) Value() (driver.Value, error) { return nil, errors.New("no id") }

func TestTenantText(t *testing.T) {
	id := uuid.MustParse("5f0c6a4e-0b1d-4c3e-9a57-2f1f7d9e8a10")
	name := "t01"
	tests := []struct {
		name    string
		give    any
		want    string
		wantErr string
	}{
		{name: "string", give: "t01", want: "t01"},
		{name: "named string", give: tenantName("t01"), want: "t01"},
		{name: "pointer to string", give: &name, want: "t01"},
		{name: "int64", give: int64(42), want: "42"},
		{name: "int", give: -7, want: "-7"},
		{name: "named int64", give: tenantNumber(42), want: "42"},
		{name: "uint32", give: uint32(42), want: "42"},
		{name: "integer kind before String", give: labelled(3), want: "3"},
		{name: "uuid.UUID", give: id, want: id.String()},
		{name: "pointer to uuid.UUID", give: &id, want: id.String()},
		{name: "pgtype.UUID", give: pgtype.UUID{Bytes: id, Valid: true}, want: id.String()},
		{name: "pgtype.Int8", give: pgtype.Int8{Int64: 42, Valid: true}, want: "42"},
		{name: "bytes", give: []byte("t01"), want: "t01"},
		{name: "Stringer", give: stringer{id: "t01"}, want: "t01"},
		{name: "nil", give: nil, wantErr: "tenantpool: tenant id is nil"},
		{name: "nil pointer", give: (*uuid.UUID)(nil), wantErr: "tenantpool: tenant id is nil"},
		{name: "NULL", give: pgtype.UUID{}, wantErr: "tenantpool: tenant id pgtype.UUID is NULL"},
		{name: "failing Valuer", give: failingValuer{}, wantErr: "tenantpool: tenant id tenantpool.failingValuer: no id"},
		{name: "struct", give: struct{}{}, wantErr: "tenantpool: tenant id of type struct {} cannot be rendered as text"},
		{name: "float", give: 1.5, wantErr: "tenantpool: tenant id of type float64 cannot be rendered as text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tenantText(tt.give)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
