package main

import (
	"log/slog"
	"runtime/debug"
	"strconv"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// serveGCPercent is the garbage collector's target for a serving instance:
// the heap may grow to five times what is live before a collection. A
// portal's live heap is small (sessions and limits live in Redis, the shared
// cache is bounded), so at Go's default of 100 it collects after every few
// megabytes of requests. Measured with make bench: JSON submissions 20-30 %
// faster at 400 (docs/benchmarks.md).
const serveGCPercent = 400

// tuneGC sets the garbage collector for serving, unless the operator chose:
// GOGC (Go's own variable) wins over serveGCPercent. The soft memory limit
// (GOMEMLIMIT, or AUTOMEMLIMIT=off to keep none) is 90 % of the container's
// memory limit, or of the machine's memory without one, so that a growing
// heap is collected more often instead of running out of memory.
func tuneGC(getenv func(string) string, log *slog.Logger) {
	gogc := getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(serveGCPercent)
		gogc = strconv.Itoa(serveGCPercent)
	}
	limit, err := memlimit.Set(memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
	if err != nil {
		log.Warn("memory limit not set", slog.Any("error", err))
	}
	log.Info("garbage collector", slog.String("gogc", gogc), slog.Int64("memory_limit_bytes", limit))
}
