// Package store holds the queries the handlers of package api call with
// their transaction: what each does reaches api as a fact.
package store

import (
	"context"
	"net/http"

	"example.com/crosspkg/db"
)

// Name reads a customer's name: a read, so a handler calling only it needs
// no transaction.
func Name(ctx context.Context, q db.Querier, id string) (string, error) { // want Name:"^tx@1=read \\(reads customers\\)$"
	var name string
	err := q.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", id).Scan(&name)
	return name, err
}

// Rename writes.
func Rename(ctx context.Context, q db.Querier, id, name string) error { // want Rename:"^tx@1=write \\(reads customers; writes customers\\)$"
	_, err := q.Exec(ctx, "UPDATE customers SET name = $2 WHERE id = $1", id, name)
	return err
}

// Rating asks an external service: slow, though it gets no transaction.
func Rating(ctx context.Context, id string) (*http.Response, error) { // want Rating:"^notx=slow"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://ratings.example.com/"+id, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}
