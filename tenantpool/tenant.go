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

// tenantText renders a tenant id as the text that set_config receives: what
// its driver.Valuer gives (uuid.UUID, pgtype types), a string or integer
// (also of named types), or what its String method gives.
func tenantText(tenant any) (string, error) {
	v := reflect.ValueOf(tenant)
	if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return "", fmt.Errorf("tenantpool: tenant id is nil")
	}
	if v.Kind() == reflect.Pointer {
		return tenantText(v.Elem().Interface())
	}
	if valuer, ok := tenant.(driver.Valuer); ok {
		value, err := valuer.Value()
		if err != nil {
			return "", fmt.Errorf("tenantpool: tenant id %T: %w", tenant, err)
		}
		if value == nil {
			return "", fmt.Errorf("tenantpool: tenant id %T is NULL", tenant)
		}
		return tenantText(value)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	}
	if b, ok := tenant.([]byte); ok {
		return string(b), nil
	}
	if s, ok := tenant.(fmt.Stringer); ok {
		return s.String(), nil
	}
	return "", fmt.Errorf("tenantpool: tenant id of type %T cannot be rendered as text", tenant)
}
