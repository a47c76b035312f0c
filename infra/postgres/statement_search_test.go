package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// Staff search finds a statement the moment it is stored, while it waits for
// the search index, and the same way once it is indexed; only in its own
// procedure. Mass statement detection first indexes what its procedure has
// queued. No indexer runs here: the test moves the queue itself.
func TestStatementSearchFindsQueuedAndIndexedAlike(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, procs := testProcedures(t, db, "suche", 2)
	receive := func(proc uuid.UUID, text string) {
		t.Helper()
		err := postgres.NewStatements(db).Receive(ctx, proc, 1, "", "",
			func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error) {
				st, entry := receivedOnline(org, proc, code, seq)
				st.Text = text
				return st, nil, entry, nil
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	receive(procs[0], "Der Überweg an der Hauptstraße fehlt, die Schulkinder laufen über die Fahrbahn.")
	receive(procs[0], "Die Lindenallee braucht einen sicheren Radweg.")
	receive(procs[0], "Die Lindenallee braucht einen sicheren Radweg!")
	receive(procs[1], "Auch hier fehlt ein Überweg.")

	count := func(table string, proc uuid.UUID) int {
		t.Helper()
		n, err := db.NewSelect().Table(table).Where("procedure_id = ?", proc).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	cases := []struct {
		q    string
		want []int // seqs in procedure 0
	}{
		{"ueberweg", []int{1}},
		{"Überweg", []int{1}},
		{"hauptstrasse", []int{1}},
		{"Straße", []int{1}},
		{"Radwege", []int{2, 3}}, // stemmed
		{"sicheren Radweg", []int{2, 3}},
		{"Lindenallee -sicheren", nil},
		{"ueberweg schulkinder", []int{1}}, // folded, stemmed, not next to each other
		{"Schulkinder Überweg Fahrbahnen", []int{1}},
		{"ueberweg radweg", nil},
		{`"sicheren Radweg"`, []int{2, 3}},
		{"Radweg or Hauptstraße", []int{1, 2, 3}},
		{"allee", []int{2, 3}}, // part of a word
		{"Marktplatz", nil},
		{"ueberweg -radweg", []int{1}},
		{"lindenallee -ueberweg", []int{2, 3}}, // folded, left out
		{"ueberweg -hauptstrasse", nil},        // folded, left out
		{`"sicheren radweg"`, []int{2, 3}},     // a phrase, in its order
		{`"radweg sicheren"`, nil},             // not in this order
		{`"ueberweg an der"`, []int{1}},        // a phrase of the folded text
		{"ueberweg or lindenallee", []int{1, 2, 3}},
		{"-radweg", []int{1}},
		{`""`, nil},
		{"or", nil},
	}
	// find pages through the matches, limit a page, as staff do with the
	// cursor: a page may end in the index and the next begin in the queue.
	find := func(q string, limit int, withdrawn *bool) []int {
		t.Helper()
		var got []int
		f := statement.Filter{ProcedureID: procs[0], Text: q, Limit: limit, Withdrawn: withdrawn}
		for {
			page, err := postgres.NewStatements(db).List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range page.Items {
				got = append(got, st.Seq)
			}
			if page.NextCursor == "" {
				return got
			}
			f.AfterSeq = page.Items[len(page.Items)-1].Seq
		}
	}
	notWithdrawn := false
	// Each case both ways: the matches looked up in the index, and (from one
	// match on) the statements walked in order.
	search := func(stage string) {
		t.Helper()
		for _, dense := range []int{1000, 1} {
			restore := postgres.SetDenseMatches(dense)
			for _, c := range cases {
				if got := find(c.q, 50, nil); !slices.Equal(got, c.want) {
					t.Errorf("%s, walking from %d matches: q=%q found %v, want %v", stage, dense, c.q, got, c.want)
				}
				if got := find(c.q, 1, &notWithdrawn); !slices.Equal(got, c.want) {
					t.Errorf("%s, walking from %d matches: q=%q, one a page, not withdrawn: found %v, want %v",
						stage, dense, c.q, got, c.want)
				}
			}
			restore()
		}
	}

	if q, x := count("statement_search_queue", procs[0]), count("statement_search", procs[0]); q != 3 || x != 0 {
		t.Fatalf("after receipt: %d queued, %d indexed; want 3, 0", q, x)
	}
	search("queued")
	queue := postgres.NewStatementSearch(db)
	if n, err := queue.IndexQueued(ctx, 2); err != nil || n != 2 {
		t.Fatalf("IndexQueued(2): %d, %v", n, err)
	}
	search("partly indexed")
	if n, err := queue.IndexQueued(ctx, 500); err != nil || n != 2 {
		t.Fatalf("IndexQueued(500) of the rest: %d, %v", n, err)
	}
	if n, err := queue.IndexQueued(ctx, 500); err != nil || n != 0 {
		t.Fatalf("IndexQueued of an empty queue: %d, %v", n, err)
	}
	search("indexed")
	for _, p := range procs {
		if q := count("statement_search_queue", p); q != 0 {
			t.Fatalf("%d still queued", q)
		}
	}
	var same int
	if err := db.NewRaw(`SELECT count(*) FROM statement_search x JOIN statements s ON s.id = x.statement_id
		WHERE x.procedure_id = s.procedure_id AND x.search = to_tsvector('german', s.text)
		AND x.text_plain = portal_fold(s.text)`).Scan(ctx, &same); err != nil || same != 4 {
		t.Fatalf("search rows as computed from their statements: %d of 4, %v", same, err)
	}

	// Two more copies, queued, in procedure 0 and one in procedure 1: the
	// detection finds the copies and indexes procedure 0 only.
	receive(procs[0], "Die Lindenallee braucht einen sicheren Radweg.")
	receive(procs[1], "Die Lindenallee braucht einen sicheren Radweg.")
	var pairs [][2]uuid.UUID
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		pairs, err = postgres.NewStatements(tx).SimilarPairs(ctx, procs[0], 0.8)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 3 { // 2-3, 2-4, 3-4
		t.Fatalf("similar pairs with a queued copy: %v, want 3", pairs)
	}
	if q0, q1 := count("statement_search_queue", procs[0]), count("statement_search_queue", procs[1]); q0 != 0 || q1 != 1 {
		t.Fatalf("after the detection: queued %d and %d, want 0 and 1", q0, q1)
	}
}
