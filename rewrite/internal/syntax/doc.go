// Package syntax holds the go/ast and go/types helpers every stage shares:
// positions as loaded (never a //line directive's), statement lists,
// objects of identifiers.
package syntax
