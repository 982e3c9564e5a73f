package txmetrics

import (
	"time"
)

// epoch anchors the tracer's clock. time.Since of a time that carries a
// monotonic reading reads only the monotonic clock: half the cost of
// time.Now, which also reads the wall clock, and the clock dominates the
// tracer's cost on virtual machines.
var epoch = time.Now()

// monotonic returns the time elapsed since epoch.
func monotonic() time.Duration { return time.Since(epoch) }
