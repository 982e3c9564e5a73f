package tenantpool

import "errors"

// ErrConflict is what a write block made by `txscope rewrite --recheck`
// returns when the rows it re-read in its transaction differ from what the
// code before the transaction (the slow call) consumed: the write would
// have acted on a stale value, so it does not run and the transaction rolls
// back. Callers map it to a retry or a conflict response (HTTP 409).
var ErrConflict = errors.New("tenantpool: rows changed since they were read before the transaction")
