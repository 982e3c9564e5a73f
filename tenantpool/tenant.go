package tenantpool

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
)

// DefaultSetting is the configuration parameter that row-level security
// policies read the tenant from, with current_setting('app.current_tenant_id', true).
const DefaultSetting = "app.current_tenant_id"

// setTenantSQL sets the tenant for the current transaction only.
const setTenantSQL = "select set_config($1, $2, true)"

// maxValuerDepth bounds a chain of Valuers whose Value returns another
// Valuer: one that returns itself would otherwise recurse until the stack
// overflows.
const maxValuerDepth = 8

// tenantText renders a tenant id as the text that set_config receives: what
// its driver.Valuer gives (uuid.UUID, pgtype types), a string or integer
// (also of named types), or what its String method gives (*big.Int). Methods
// with a pointer receiver count for a value too.
func tenantText(tenant any) (string, error) {
	return render(tenant, tenant, 0)
}

// render renders v, which the tenant id given led to after depth Value calls.
func render(tenant, v any, depth int) (string, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "", fmt.Errorf("tenantpool: tenant id is nil")
	}
	if valuer, ok := withMethods(rv).(driver.Valuer); ok {
		return renderValue(tenant, valuer, depth)
	}
	if rv.Kind() == reflect.Pointer {
		return render(tenant, rv.Elem().Interface(), depth)
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	}
	if b, ok := v.([]byte); ok {
		return string(b), nil
	}
	if s, ok := withMethods(rv).(fmt.Stringer); ok {
		return s.String(), nil
	}
	return "", fmt.Errorf("tenantpool: tenant id of type %T cannot be rendered as text", tenant)
}

func renderValue(tenant any, valuer driver.Valuer, depth int) (string, error) {
	if depth == maxValuerDepth {
		return "", fmt.Errorf("tenantpool: tenant id %T: Value keeps returning a driver.Valuer (%d calls deep); it must return a string, an integer or []byte", tenant, depth)
	}
	value, err := valuer.Value()
	if err != nil {
		return "", fmt.Errorf("tenantpool: tenant id %T: %w", tenant, err)
	}
	if value == nil {
		return "", fmt.Errorf("tenantpool: tenant id %T is NULL", tenant)
	}
	return render(tenant, value, depth+1)
}

// withMethods is v as an interface whose method set includes the methods
// of *T when v is a T that is not a pointer: a copy's address, since a
// Valuer or Stringer with a pointer receiver is still the type's own.
func withMethods(v reflect.Value) any {
	if v.Kind() == reflect.Pointer {
		return v.Interface()
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface()
}
