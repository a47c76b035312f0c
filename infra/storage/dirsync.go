package storage

import "sync"

// dirSyncs makes the directory syncs of concurrent uploads into one directory
// share their work, as a database shares one commit's flush among the
// transactions that wait for it. A sync makes durable every entry changed
// before it started, so a caller waits for the first sync that starts after
// it asked: the one in flight may have started before its rename. While one
// runs, everyone who asks meanwhile is covered by the next one. Where each
// directory sync is a write and a flush of the disk's cache (ext4 without a
// journal, for one), a burst of uploads into one procedure then costs one
// flush per round instead of one per upload.
type dirSyncs struct {
	sync func(dir string) error

	mu   sync.Mutex
	dirs map[string]*dirSync // the directories someone waits for
}

// dirSync is one directory's rounds: started counts the syncs begun, done
// the last one finished, err that one's outcome.
type dirSync struct {
	users int // callers, under dirSyncs.mu: an unused directory is dropped

	mu      sync.Mutex
	started uint64
	done    uint64
	running bool
	err     error
	waiting int           // callers waiting for a round to finish
	wake    chan struct{} // closed when a round finishes
}

func newDirSyncs(sync func(dir string) error) *dirSyncs {
	return &dirSyncs{sync: sync, dirs: map[string]*dirSync{}}
}

// Sync returns once a sync of dir that started after the call has finished,
// with that sync's error. A later round also covers the caller, so its
// outcome is the one reported when several finished meanwhile.
func (s *dirSyncs) Sync(dir string) error {
	d := s.enter(dir)
	defer s.leave(dir, d)
	d.mu.Lock()
	need := d.started + 1
	for {
		if d.done >= need {
			err := d.err
			d.mu.Unlock()
			return err
		}
		if !d.running {
			d.running = true
			d.started++
			round := d.started
			d.mu.Unlock()
			err := s.sync(dir)
			d.mu.Lock()
			d.running, d.done, d.err = false, round, err
			close(d.wake)
			d.wake = make(chan struct{})
			continue
		}
		wake := d.wake
		d.waiting++
		d.mu.Unlock()
		<-wake
		d.mu.Lock()
		d.waiting--
	}
}

func (s *dirSyncs) enter(dir string) *dirSync {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dirs[dir]
	if d == nil {
		d = &dirSync{wake: make(chan struct{})}
		s.dirs[dir] = d
	}
	d.users++
	return d
}

func (s *dirSyncs) leave(dir string, d *dirSync) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.users--; d.users == 0 {
		delete(s.dirs, dir)
	}
}
