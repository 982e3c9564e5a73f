// Package slowiface holds callback bodies for TestSlowViaInterface: a call
// through an interface of the loaded code is slow when every implementation
// is (a slow rule on it, or its body), or when a slow rule names the
// interface's method. The comment after each statement is the effect it
// must get.
package slowiface

import (
	"context"
	"log"
	"net/http"

	"github.com/jmoiron/sqlx"
)

// Hooks has one implementation, which makes an HTTP request.
type Hooks interface {
	InvokeHook(ctx context.Context, name string) error
}

type httpHooks struct{ client *http.Client }

func (h *httpHooks) InvokeHook(ctx context.Context, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://hooks.invalid/"+name, nil)
	if err != nil {
		return err
	}
	_, err = h.client.Do(req)
	return err
}

// Notifier has a slow implementation and one that only logs.
type Notifier interface {
	Notify(name string)
}

type httpNotifier struct{ client *http.Client }

func (n httpNotifier) Notify(name string) { _, _ = n.client.Get("https://notify.invalid/" + name) }

type logNotifier struct{}

func (logNotifier) Notify(name string) { log.Print(name) }

// Mailer's implementation is slow by the test's slow rule on it.
type Mailer interface {
	Send(to string) error
}

type smtpMailer struct{}

func (*smtpMailer) Send(string) error { return nil }

// Pinger's method is slow by the test's slow rule on the interface itself.
type Pinger interface {
	Ping() error
}

type nopPinger struct{}

func (nopPinger) Ping() error { return nil }

type handler struct {
	hooks    Hooks
	notifier Notifier
	mailer   Mailer
	pinger   Pinger
}

func (h *handler) calls(tx *sqlx.Tx, ctx context.Context) error {
	if err := h.hooks.InvokeHook(ctx, "paid"); err != nil { // slow
		return err
	}
	h.notifier.Notify("paid")                  // pure
	if err := h.mailer.Send("a"); err != nil { // slow
		return err
	}
	return h.pinger.Ping() // slow
}
