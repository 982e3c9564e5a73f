package tenantpool

import (
	"database/sql/driver"
	"errors"
	"math/big"
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

// ptrValuer and ptrStringer have their methods on the pointer.
type ptrValuer struct{ id string }

func (p *ptrValuer) Value() (driver.Value, error) { return p.id, nil }

type ptrStringer struct{ id string }

func (p *ptrStringer) String() string { return p.id }

// selfValuer's Value returns itself; pingValuer and pongValuer each other.
type selfValuer struct{}

func (s selfValuer) Value() (driver.Value, error) { return s, nil }

type pingValuer struct{}

func (pingValuer) Value() (driver.Value, error) { return pongValuer{}, nil }

type pongValuer struct{}

func (pongValuer) Value() (driver.Value, error) { return &pingValuer{}, nil }

type failingValuer struct{}

func (failingValuer) Value() (driver.Value, error) { return nil, errors.New("no id") }

func TestTenantText(t *testing.T) {
	id := uuid.MustParse("5f0c6a4e-0b1d-4c3e-9a57-2f1f7d9e8a10")
	name := "t01"
	three := labelled(3)
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
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
		{name: "pointer to an integer kind with String", give: &three, want: "3"},
		{name: "pointer-receiver Valuer", give: &ptrValuer{id: "t01"}, want: "t01"},
		{name: "pointer-receiver Valuer as a value", give: ptrValuer{id: "t01"}, want: "t01"},
		{name: "pointer-receiver Stringer", give: &ptrStringer{id: "t01"}, want: "t01"},
		{name: "pointer-receiver Stringer as a value", give: ptrStringer{id: "t01"}, want: "t01"},
		{name: "*big.Int", give: big.NewInt(42), want: "42"},
		{name: "*big.Int beyond 64 bits", give: huge, want: "123456789012345678901234567890"},
		{name: "big.Int", give: *huge, want: "123456789012345678901234567890"},
		{name: "uint64 beyond int64", give: uint64(1) << 63, want: "9223372036854775808"},
		{name: "Valuer returning itself", give: selfValuer{},
			wantErr: "tenantpool: tenant id tenantpool.selfValuer: Value keeps returning a driver.Valuer (8 calls deep); it must return a string, an integer or []byte"},
		{name: "Valuers returning each other", give: pingValuer{},
			wantErr: "tenantpool: tenant id tenantpool.pingValuer: Value keeps returning a driver.Valuer (8 calls deep); it must return a string, an integer or []byte"},
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
