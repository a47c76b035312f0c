package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// serve collects garbage at serveGCPercent unless the operator set GOGC, and
// always has a soft memory limit below the machine's memory unless the
// operator set one.
func TestTuneGCKeepsWhatTheOperatorSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	quiet := slog.New(slog.DiscardHandler)
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

	t.Setenv("GOMEMLIMIT", "")
	tuneGC(env(nil), quiet)
	if got := debug.SetGCPercent(123); got != serveGCPercent {
		t.Errorf("without GOGC: gc percent %d, want %d", got, serveGCPercent)
	}
	if limit := debug.SetMemoryLimit(-1); limit <= 0 || limit == math.MaxInt64 {
		t.Errorf("without GOMEMLIMIT: memory limit %d, want one below the machine's memory", limit)
	}

	// Go itself reads both variables at start; tuneGC leaves them be.
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	tuneGC(env(map[string]string{"GOGC": "123"}), quiet)
	if got := debug.SetGCPercent(-1); got != 123 {
		t.Errorf("with GOGC=123: gc percent %d, want 123", got)
	}
	if limit := debug.SetMemoryLimit(-1); limit != 1<<30 {
		t.Errorf("with GOMEMLIMIT=1GiB: memory limit %d, want %d", limit, 1<<30)
	}
}
