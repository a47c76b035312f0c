package storage

import (
	"errors"
	"testing"
	"time"
)

// blockingSync is a directory sync that tells when it starts and finishes
// only when released, with the error it is given.
type blockingSync struct {
	started chan string
	release chan error
}

func newBlockingSync() *blockingSync {
	return &blockingSync{started: make(chan string, 16), release: make(chan error)}
}

func (b *blockingSync) sync(dir string) error {
	b.started <- dir
	return <-b.release
}

func waitStarted(t *testing.T, b *blockingSync) string {
	t.Helper()
	select {
	case dir := <-b.started:
		return dir
	case <-time.After(5 * time.Second):
		t.Fatal("no directory sync started")
		return ""
	}
}

func TestDirSyncCallersDuringASyncWaitForTheNextOne(t *testing.T) {
	b := newBlockingSync()
	s := newDirSyncs(b.sync)

	first := make(chan error, 1)
	go func() { first <- s.Sync("d") }()
	waitStarted(t, b)

	// Renamed while the first sync runs: that sync may not have seen them.
	const later = 5
	results := make(chan error, later)
	for range later {
		go func() { results <- s.Sync("d") }()
	}
	waitWaiting(t, s, "d", later)

	b.release <- nil
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
	select {
	case err := <-results:
		t.Fatalf("a caller that came during the first sync returned after it alone (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}

	// One more sync covers all of them, and they get its outcome.
	waitStarted(t, b)
	failed := errors.New("disk full")
	b.release <- failed
	for range later {
		if err := <-results; !errors.Is(err, failed) {
			t.Fatalf("later caller: got %v, want the second sync's error", err)
		}
	}
	select {
	case dir := <-b.started:
		t.Fatalf("a third sync of %s ran for callers the second one covered", dir)
	default:
	}
	if n := len(s.dirs); n != 0 {
		t.Fatalf("%d directories kept after every caller returned", n)
	}
}

func TestDirSyncDirectoriesDoNotWaitForEachOther(t *testing.T) {
	b := newBlockingSync()
	s := newDirSyncs(b.sync)
	done := map[string]chan error{"a": make(chan error, 1), "b": make(chan error, 1)}
	go func() { done["a"] <- s.Sync("a") }()
	go func() { done["b"] <- s.Sync("b") }()
	started := map[string]bool{waitStarted(t, b): true, waitStarted(t, b): true}
	if !started["a"] || !started["b"] {
		t.Fatalf("syncs started: %v, want both directories at once", started)
	}
	b.release <- nil
	b.release <- nil
	for dir, ch := range done {
		if err := <-ch; err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
	}
}

func TestDirSyncOneCallerAloneSyncsAtOnce(t *testing.T) {
	calls := 0
	s := newDirSyncs(func(string) error { calls++; return nil })
	for range 3 {
		if err := s.Sync("d"); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 3 {
		t.Fatalf("%d syncs for three callers one after another, want 3", calls)
	}
}

// waitWaiting waits until n callers wait for a sync of dir to finish.
func waitWaiting(t *testing.T, s *dirSyncs, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		d := s.dirs[dir]
		s.mu.Unlock()
		waiting := 0
		if d != nil {
			d.mu.Lock()
			waiting = d.waiting
			d.mu.Unlock()
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers wait for %s, want %d", waiting, dir, n)
		}
		time.Sleep(time.Millisecond)
	}
}
