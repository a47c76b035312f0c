package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// Receiving takes a number only with the statement: a statement checked
// against another version of the procedure, or one that cannot be built or
// stored, gives its number back, and the connection is usable afterwards; on
// the pool as inside a transaction.
func TestReceiveGivesBackTheNumberOfAFailedWrite(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := postgres.Open(url, postgres.PoolConfig{MaxOpen: 1, MaxIdle: 1}) // every call on the same connection
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, procs := testProcedures(t, db, "nummern", 1)
	proc := procs[0]
	errRefused := errors.New("refused while building")
	var numbers []string
	version := 1
	receive := func(idb bun.IDB, key string, refuse bool) error {
		return postgres.NewStatements(idb).Receive(ctx, proc, version, key, strings.Repeat("b", 64),
			func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error) {
				if refuse {
					return statement.Statement{}, nil, audit.Entry{}, errRefused
				}
				st, entry := receivedOnline(org, proc, code, seq)
				numbers = append(numbers, st.Number)
				m := mail.Message{To: "erika@example.org", Subject: "Eingang", Text: st.Number, Kind: "statement.receipt", Ref: st.ID.String()}
				return st, &m, entry, nil
			})
	}
	inTx := func(key string, refuse bool) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return receive(tx, key, refuse) })
	}
	for _, way := range []struct {
		name string
		recv func(key string, refuse bool) error
	}{{"pool", func(key string, refuse bool) error { return receive(db, key, refuse) }}, {"transaction", inTx}} {
		if err := way.recv("", true); !errors.Is(err, errRefused) {
			t.Fatalf("%s: refused build: %v", way.name, err)
		}
		version = 2
		if err := way.recv("", false); !errors.Is(err, statement.ErrProcedureChanged) {
			t.Fatalf("%s: checked against version 2 of a procedure at 1: %v, want ErrProcedureChanged", way.name, err)
		}
		version = 1
		key := "key-" + way.name
		if err := way.recv(key, false); err != nil {
			t.Fatalf("%s: %v", way.name, err)
		}
		if err := way.recv(key, false); !errors.Is(err, postgres.ErrIdempotencyRace) {
			t.Fatalf("%s: the same key again: %v, want ErrIdempotencyRace", way.name, err)
		}
	}
	if err := receive(db, "", false); err != nil {
		t.Fatal(err)
	}
	var seqs []int
	if err := db.NewSelect().Table("statements").Column("seq").Where("procedure_id = ?", proc).Order("seq").Scan(ctx, &seqs); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs) != "[1 2 3]" {
		t.Fatalf("stored numbers %v, want [1 2 3] (tried %v)", seqs, numbers)
	}
	var mails, entries int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM mail_outbox), (SELECT count(*) FROM audit_log WHERE action = 'statement.submit')`).Scan(&mails, &entries); err != nil {
		t.Fatal(err)
	}
	if mails != 3 || entries != 3 {
		t.Fatalf("%d receipt mails and %d audit entries for 3 statements", mails, entries)
	}
}

// The first statements of new procedures arrive at once (a procedure opens,
// a campaign links it): each procedure numbers them 1, 2, 3 … and none fails.
// The counter row of a new procedure is created by its first statement; a
// placeholder code in the unique code column made two such inserts wait for
// each other, and PostgreSQL answered one with a deadlock.
func TestFirstStatementsOfNewProceduresAtOnce(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 40, MaxIdle: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const procs, each = 12, 6
	org, ids := testProcedures(t, db, "neu", procs)
	errs := make(chan error, procs*each)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, proc := range ids {
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- postgres.NewStatements(db).Receive(ctx, proc, 1, "", strings.Repeat("b", 64),
					func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error) {
						st, entry := receivedOnline(org, proc, code, seq)
						return st, nil, entry, nil
					})
			}()
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("first statements at once: %v", err)
		}
	}
	for _, proc := range ids {
		var seqs []int
		if err := db.NewSelect().Table("statements").Column("seq").Where("procedure_id = ?", proc).Order("seq").Scan(ctx, &seqs); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(seqs) != "[1 2 3 4 5 6]" {
			t.Fatalf("procedure %s numbered %v", proc, seqs)
		}
	}
}

// testProcedures creates an organisation and n procedures of it, open to
// statements at version 1, with slugs slug-0, slug-1 ….
func testProcedures(t *testing.T, db *bun.DB, slug string, n int) (org uuid.UUID, ids []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	org = uuid.New()
	if _, err := db.ExecContext(ctx, `INSERT INTO organisations (id, name, kind, ags) VALUES (?, 'Stadt', 'municipality', '14522180')`, org); err != nil {
		t.Fatal(err)
	}
	ids = make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
		if err := postgres.NewProcedures(db).Insert(ctx, procedure.Procedure{ID: ids[i], OrganisationID: org, Slug: fmt.Sprintf("%s-%d", slug, i),
			Type: procedure.TypeStatute, Subtype: procedure.SubtypeGehoelzschutzsatzung, Title: "Satzung", AGS: "14522180",
			CreatedAt: testNow, UpdatedAt: testNow, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return org, ids
}

var testNow = time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)

// receivedOnline is a statement to proc received online under number seq of
// code, with its audit entry.
func receivedOnline(org, proc uuid.UUID, code string, seq int) (statement.Statement, audit.Entry) {
	st := statement.Statement{ID: uuid.New(), ProcedureID: proc, PhaseID: uuid.New(), Seq: seq,
		Number: statement.FormatReceipt(code, 2026, seq), Channel: statement.ChannelOnline,
		Kind: statement.SubmitterCitizen, Text: fmt.Sprintf("Stellungnahme %d", seq), Digest: strings.Repeat("a", 64),
		ReceivedAt: testNow, Timely: true, Status: statement.StatusReceived, Topics: []string{}, Version: 1}
	return st, audit.Entry{At: testNow, OrganisationID: org, Action: "statement.submit", ObjectType: "statement", ObjectID: st.ID.String()}
}
