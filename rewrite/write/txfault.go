package write

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// fault lets tests stop a write at a named step ("prepare", "temp",
// "commit", "rename", "renamed", "restore", each with its file index) to
// see what a crash, a signal or an error there leaves. Tests in this
// package replace it; a txscope binary a test runs reads
// TXSCOPE_FAULT="step:i:action,…", where action is error or the name of
// a signal to send itself (KILL, INT, TERM, STOP). Unset, it does nothing.
var fault = faultsFrom(os.Getenv("TXSCOPE_FAULT"))

func faultsFrom(spec string) func(ctx context.Context, step string, i int) error {
	actions := map[string]string{}
	for _, f := range strings.Split(spec, ",") {
		if at := strings.LastIndex(f, ":"); at > 0 {
			actions[f[:at]] = f[at+1:]
		}
	}
	return func(ctx context.Context, step string, i int) error {
		switch action := actions[fmt.Sprintf("%s:%d", step, i)]; action {
		case "":
			return nil
		case "error":
			return fmt.Errorf("injected fault at %s %d", step, i)
		default:
			if err := signalSelf(action); err != nil {
				return fmt.Errorf("TXSCOPE_FAULT: %w", err)
			}
			// Let the signal land before the write goes on, so each run
			// stops at the same step.
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			return nil
		}
	}
}
