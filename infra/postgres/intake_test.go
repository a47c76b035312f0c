package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// Submissions that arrive while a batch is written are stored together by
// the next transaction. One that fails in such a batch (refused while
// building, its idempotency key used twice, a receipt that cannot be queued,
// checked against an old version of its procedure, or withdrawn while
// waiting) fails alone: the others are stored, and the numbers have no gaps.
func TestIntakeWritesSubmissionsThatArriveTogether(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, procs := testProcedures(t, db, "sammel", 2)
	a, b := procs[0], procs[1]
	intake := postgres.NewIntake(db)
	errRefused := errors.New("refused while building")

	type sub struct {
		proc    uuid.UUID
		version int
		key     string
		refuse  bool // build fails
		badMail bool // a receipt without recipient
		cancel  bool // withdrawn while waiting
	}
	ids := map[uuid.UUID]bool{} // every statement stored
	receive := func(ctx context.Context, s sub) (uuid.UUID, error) {
		var id uuid.UUID
		err := postgres.NewStatements(db).Through(intake).Receive(ctx, s.proc, s.version, s.key, strings.Repeat("b", 64),
			func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error) {
				if s.refuse {
					return statement.Statement{}, nil, audit.Entry{}, errRefused
				}
				st, entry := receivedOnline(org, s.proc, code, seq)
				id = st.ID
				m := mail.Message{To: "erika@example.org", Subject: "Eingang", Text: st.Number, Kind: "statement.receipt", Ref: st.ID.String()}
				if s.badMail {
					m.To = ""
				}
				return st, &m, entry, nil
			})
		return id, err
	}
	// The first statements of both procedures create their counter rows.
	for _, p := range []uuid.UUID{a, b} {
		id, err := receive(ctx, sub{proc: p, version: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}

	wrong := errors.New("any error")
	oneRace := errors.New("stored, or the key race for one of them")
	for _, tc := range []struct {
		name     string
		subs     []sub
		want     []error // nil: stored; wrong: any error, nothing stored
		together bool    // the stored ones share one transaction
	}{
		{"together", []sub{{proc: a, version: 1}, {proc: b, version: 1}, {proc: a, version: 1}, {proc: a, version: 1, key: "k1"}, {proc: b, version: 1}},
			[]error{nil, nil, nil, nil, nil}, true},
		{"one refused while building", []sub{{proc: a, version: 1}, {proc: a, version: 1, refuse: true}, {proc: b, version: 1}},
			[]error{nil, errRefused, nil}, false},
		// The second with the key is written alone after the batch: the
		// batch is not refused for it.
		{"the same key twice", []sub{{proc: a, version: 1, key: "k2"}, {proc: a, version: 1}, {proc: a, version: 1, key: "k2"}},
			[]error{nil, nil, postgres.ErrIdempotencyRace}, true},
		{"a key the database has", []sub{{proc: a, version: 1}, {proc: a, version: 1, key: "k1"}, {proc: b, version: 1}},
			[]error{nil, postgres.ErrIdempotencyRace, nil}, false},
		{"a receipt that cannot be queued", []sub{{proc: b, version: 1}, {proc: b, version: 1, badMail: true}, {proc: a, version: 1}},
			[]error{nil, wrong, nil}, false},
		{"checked against an old version", []sub{{proc: a, version: 1}, {proc: b, version: 7}, {proc: a, version: 0}, {proc: b, version: 1}},
			[]error{nil, statement.ErrProcedureChanged, statement.ErrProcedureChanged, nil}, false},
		{"withdrawn while waiting", []sub{{proc: a, version: 1}, {proc: b, version: 1, cancel: true}, {proc: a, version: 1}},
			[]error{nil, context.Canceled, nil}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A transaction holds procedure a's counter: the first submission
			// waits for it in its batch, and the case's submissions gather in
			// the queue meanwhile.
			hold, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Rollback()
			if _, err := hold.ExecContext(ctx, `SELECT FROM statement_counters WHERE procedure_id = ? FOR UPDATE`, a); err != nil {
				t.Fatal(err)
			}
			door := make(chan error, 1)
			go func() {
				id, err := receive(ctx, sub{proc: a, version: 1})
				if err == nil {
					ids[id] = true
				}
				door <- err
			}()
			waitFor(t, func() bool { // the first submission's batch waits for the lock
				var waiting int
				err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
				return err == nil && waiting == 1 && intake.Pending() == 0
			})
			type outcome struct {
				id  uuid.UUID
				err error
			}
			outcomes := make([]chan outcome, len(tc.subs))
			cancels := make([]context.CancelFunc, len(tc.subs))
			for i, s := range tc.subs {
				outcomes[i] = make(chan outcome, 1)
				var sctx context.Context
				sctx, cancels[i] = context.WithCancel(ctx)
				defer cancels[i]()
				go func() {
					id, err := receive(sctx, s)
					outcomes[i] <- outcome{id, err}
				}()
				waitFor(t, func() bool { return intake.Pending() == i+1 })
			}
			for i, s := range tc.subs {
				if s.cancel {
					cancels[i]()
				}
			}
			waitFor(t, func() bool {
				n := 0
				for _, s := range tc.subs {
					if !s.cancel {
						n++
					}
				}
				return intake.Pending() == n
			})
			if err := hold.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-door; err != nil {
				t.Fatalf("the first submission: %v", err)
			}
			var stored []uuid.UUID
			races := 0
			for i, want := range tc.want {
				o := <-outcomes[i]
				if want == oneRace {
					if errors.Is(o.err, postgres.ErrIdempotencyRace) {
						races++
						continue
					}
					want = nil
				}
				switch {
				case want == nil && o.err != nil:
					t.Errorf("submission %d: %v, want it stored", i, o.err)
				case want == wrong && o.err == nil, want != nil && want != wrong && !errors.Is(o.err, want):
					t.Errorf("submission %d: %v, want %v", i, o.err, want)
				case o.err == nil:
					stored = append(stored, o.id)
					ids[o.id] = true
				}
			}
			if slices.Contains(tc.want, oneRace) && races != 1 {
				t.Errorf("%d submissions with the same key lost the race, want 1", races)
			}
			if tc.together {
				var txs int
				if err := db.NewSelect().TableExpr("statements").ColumnExpr("count(DISTINCT xmin::text)").
					Where("id IN (?)", bun.In(stored)).Scan(ctx, &txs); err != nil {
					t.Fatal(err)
				}
				if txs != 1 {
					t.Errorf("%d submissions that arrived together stored by %d transactions, want 1", len(stored), txs)
				}
			}
		})
	}

	// Every procedure numbers its statements 1, 2, 3 … without gaps, and
	// every statement stored has its receipt mail and audit entry, and only
	// those.
	for _, p := range []uuid.UUID{a, b} {
		var seqs []int
		if err := db.NewSelect().Table("statements").Column("seq").Where("procedure_id = ?", p).Order("seq").Scan(ctx, &seqs); err != nil {
			t.Fatal(err)
		}
		for i, seq := range seqs {
			if seq != i+1 {
				t.Fatalf("procedure numbered %v", seqs)
			}
		}
	}
	var statements, mails, entries int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM statements), (SELECT count(*) FROM mail_outbox),
		(SELECT count(*) FROM audit_log WHERE action = 'statement.submit')`).Scan(&statements, &mails, &entries); err != nil {
		t.Fatal(err)
	}
	if statements != len(ids) || mails != len(ids) || entries != len(ids) {
		t.Fatalf("%d statements, %d receipt mails and %d audit entries stored, %d accepted", statements, mails, entries, len(ids))
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
	}
}

// A batch stores a statement exactly as a statement written alone is stored:
// every column of the statement, its attachments, receipt mail and audit
// entry, the empty and NULL ones too.
func TestIntakeStoresWhatAStatementAloneStores(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, procs := testProcedures(t, db, "gleich", 1)
	proc, phase := procs[0], uuid.New()
	variants := []func(st *statement.Statement){
		func(st *statement.Statement) {}, // the bare minimum
		func(st *statement.Statement) {
			st.Kind, st.OnBehalfOf = statement.SubmitterPublicBody, org
			st.Submitter = statement.Submitter{Name: "Amt", Address: "Markt 1", Email: "amt@example.org"}
			st.Section, st.Location, st.OutsideArea = "§ 3 Abs. 2", &geo.Point{Lon: 13.34, Lat: 50.92}, true
			st.PrivacyVersion = "2026-11-01"
			st.Attachments = []statement.Attachment{
				{ID: uuid.New(), FileName: "plan.pdf", ContentType: "application/pdf", Size: 1234, SHA256: strings.Repeat("c", 64), StorageKey: st.ID.String() + "/1"},
				{ID: uuid.New(), FileName: "foto.jpg", ContentType: "image/jpeg", Size: 99, SHA256: strings.Repeat("d", 64), StorageKey: st.ID.String() + "/2"}}
		},
	}
	var ids []uuid.UUID
	for i, variant := range variants {
		for _, through := range []*postgres.Intake{postgres.NewIntake(db), nil} {
			repo := postgres.NewStatements(db)
			key, mailTo := "", ""
			if i == 1 {
				key, mailTo = fmt.Sprintf("key-%d-%v", i, through != nil), "amt@example.org"
			}
			if through != nil {
				repo = repo.Through(through)
			}
			err := repo.Receive(ctx, proc, 1, key, strings.Repeat("b", 64),
				func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error) {
					st, entry := receivedOnline(org, proc, code, seq)
					st.Text, st.PhaseID = "Die Lindenallee braucht einen Radweg.", phase
					variant(&st)
					ids = append(ids, st.ID)
					entry.RequestID, entry.Details = "req-1", map[string]any{"number": "x", "attachments": len(st.Attachments)}
					if mailTo == "" {
						return st, nil, entry, nil
					}
					return st, &mail.Message{To: mailTo, Subject: "Eingang", Text: "Text\nmit Umlaut ä", Kind: "statement.receipt", Ref: "r"}, entry, nil
				})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// The stored rows, without what differs by design (IDs, numbers).
	rowOf := func(id uuid.UUID) string {
		var row string
		if err := db.QueryRowContext(ctx, `SELECT jsonb_build_object(
			'statement', to_jsonb(s) - 'id' - 'number' - 'seq' - 'idempotency_key',
			'key', s.idempotency_key IS NOT NULL,
			'attachments', (SELECT coalesce(jsonb_agg(to_jsonb(a) - 'id' - 'statement_id' - 'storage_key' ORDER BY a.position), '[]') FROM statement_attachments a WHERE a.statement_id = s.id),
			'audit', (SELECT jsonb_agg(to_jsonb(l) - 'id' - 'object_id') FROM audit_log l WHERE l.object_id = s.id::text))::text
			FROM statements s WHERE s.id = ?`, id).Scan(&row); err != nil {
			t.Fatal(err)
		}
		return row
	}
	for i := 0; i < len(ids); i += 2 {
		if batched, alone := rowOf(ids[i]), rowOf(ids[i+1]); batched != alone {
			t.Errorf("variant %d:\nthrough the intake %s\nalone              %s", i/2, batched, alone)
		}
	}
	var mails []string
	if err := db.NewSelect().TableExpr("mail_outbox").ColumnExpr("(to_jsonb(mail_outbox) - 'id' - 'created_at' - 'next_attempt_at')::text").
		Scan(ctx, &mails); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 2 || mails[0] != mails[1] {
		t.Errorf("receipt mails through the intake and alone differ: %v", mails)
	}
}

// An intake writes a procedure's next statements with the numbers after its
// last batch, in one round trip. Where that guess is wrong, because another
// instance wrote in between or the procedure changed, nothing of the batch is
// stored with it: the batch takes its numbers from the counter, and the
// numbers still have no gaps.
func TestIntakeExpectsTheNumbersAfterItsLastBatch(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 20, MaxIdle: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, procs := testProcedures(t, db, "erwartet", 1)
	proc := procs[0]
	one, other := postgres.NewIntake(db), postgres.NewIntake(db) // two instances
	receive := func(in *postgres.Intake, version int) (int, error) {
		var seq int
		err := postgres.NewStatements(db).Through(in).Receive(ctx, proc, version, "", strings.Repeat("b", 64),
			func(code string, n int) (statement.Statement, *mail.Message, audit.Entry, error) {
				st, entry := receivedOnline(org, proc, code, n)
				seq = n
				return st, &mail.Message{To: "erika@example.org", Subject: "Eingang", Text: st.Number, Kind: "statement.receipt", Ref: st.ID.String()}, entry, nil
			})
		return seq, err
	}
	for _, step := range []struct {
		name    string
		in      *postgres.Intake
		version int
		want    error
		seq     int   // the number it got
		missed  int64 // the intake's batches written without the numbers it expected
	}{
		{"the first statement takes its number", one, 1, nil, 1, 0},
		{"the next is expected", one, 1, nil, 2, 0},
		{"another instance writes", other, 1, nil, 3, 0},
		{"the expectation misses and the number is taken", one, 1, nil, 4, 1},
		{"then expected again", one, 1, nil, 5, 1},
		{"the other instance misses too", other, 1, nil, 6, 1},
		{"checked against an old version", one, 0, statement.ErrProcedureChanged, 0, 2},
		{"after the refusal", one, 1, nil, 7, 2},
	} {
		seq, err := receive(step.in, step.version)
		if !errors.Is(err, step.want) || step.want == nil && seq != step.seq {
			t.Fatalf("%s: number %d, %v; want %d, %v", step.name, seq, err, step.seq, step.want)
		}
		if got := step.in.Counts().Missed; got != step.missed {
			t.Fatalf("%s: %d batches missed their expected numbers, want %d", step.name, got, step.missed)
		}
	}

	wantCounts := map[*postgres.Intake]postgres.IntakeCounts{
		one:   {Expected: 2, Missed: 2, Taken: 3},
		other: {Expected: 0, Missed: 1, Taken: 2},
	}
	for in, want := range wantCounts {
		if got := in.Counts(); got != want {
			t.Fatalf("batches %+v, want %+v", got, want)
		}
	}

	// Both instances at once: every submission is stored, numbered without
	// gaps, with its receipt. How many batches miss depends on how the two
	// interleave.
	const each = 150
	errs := make(chan error, 2*each)
	for range each {
		for _, in := range []*postgres.Intake{one, other} {
			go func() {
				_, err := receive(in, 1)
				errs <- err
			}()
		}
	}
	for range 2 * each {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var seqs []int
	if err := db.NewSelect().Table("statements").Column("seq").Where("procedure_id = ?", proc).Order("seq").Scan(ctx, &seqs); err != nil {
		t.Fatal(err)
	}
	var last, mails int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT last FROM statement_counters WHERE procedure_id = ?),
		(SELECT count(*) FROM mail_outbox m JOIN statements s ON m.ref = s.id::text WHERE s.procedure_id = ?)`,
		proc, proc).Scan(&last, &mails); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 7+2*each || last != len(seqs) || mails != len(seqs) {
		t.Fatalf("%d statements, counter at %d, %d receipts; want %d of each", len(seqs), last, mails, 7+2*each)
	}
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("numbered %v", seqs)
		}
	}
	for in, before := range wantCounts {
		if c := in.Counts(); c.Expected+c.Taken <= before.Expected+before.Taken {
			t.Errorf("batches %+v: want more written than the %+v before", c, before)
		}
	}
}
