package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal: an *os.File (or anything
// with a descriptor) on a tty. Buffers and pipes are not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// Colour modes of --color.
const (
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// useColor decides --color: always and never are that; auto colours a
// terminal unless NO_COLOR is set to anything (https://no-color.org) or
// TERM is dumb.
func useColor(mode string, w io.Writer, getenv func(string) string) (bool, error) {
	switch mode {
	case colorAlways:
		return true, nil
	case colorNever:
		return false, nil
	case colorAuto, "":
		return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb" && isTerminal(w), nil
	}
	return false, fmt.Errorf("--color=%s: want auto, always or never", mode)
}

// SGR sequences of the diff's colours, as git uses them.
const (
	sgrBold  = "\x1b[1m"
	sgrRed   = "\x1b[31m"
	sgrGreen = "\x1b[32m"
	sgrCyan  = "\x1b[36m"
	sgrReset = "\x1b[m"
)

// colorDiff colours a unified diff of one or more files: file headers
// bold, hunk headers cyan, removed lines red, added lines green. A line
// keeps its ending outside the colour.
func colorDiff(diff string) string {
	var b strings.Builder
	header := true // before the first hunk of a file
	for _, line := range strings.SplitAfter(diff, "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimRight(line, "\r\n")
		end := line[len(body):]
		var sgr string
		switch {
		case strings.HasPrefix(line, "@@"):
			sgr, header = sgrCyan, false
		case header && (strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "+++ ")):
			sgr = sgrBold
		case !header && strings.HasPrefix(line, "--- "):
			// The next file's header, unless a removed line starts "-- ".
			sgr, header = sgrBold, true
		case strings.HasPrefix(line, "-"):
			sgr = sgrRed
		case strings.HasPrefix(line, "+"):
			sgr = sgrGreen
		}
		if sgr == "" || body == "" {
			b.WriteString(line)
			continue
		}
		b.WriteString(sgr + body + sgrReset + end)
	}
	return b.String()
}

// Progress line timings: shown once loading has taken progressDelay,
// updated every progressTick.
const (
	progressDelay = 2 * time.Second
	progressTick  = time.Second
)

// startProgress prints "txscope: what… Ns" on w, overwritten in place,
// when the work takes longer than progressDelay and w is a terminal;
// the returned stop clears the line. Never on a pipe, a file or a test's
// buffer.
func startProgress(w io.Writer, what string) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	return progressLine(w, what, progressDelay, progressTick)
}

// progressLine is startProgress on any writer, with its timings.
func progressLine(w io.Writer, what string, delay, tick time.Duration) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-timer.C:
		}
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		for {
			fmt.Fprintf(w, "\rtxscope: %s… %ds\x1b[K", what, int(time.Since(start).Round(time.Second)/time.Second))
			select {
			case <-done:
				io.WriteString(w, "\r\x1b[K")
				return
			case <-ticker.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

// environ is os.Getenv; a variable so that a test can read another
// environment without t.Setenv, which no parallel test may call.
var environ = os.Getenv
