package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/domain/statement"
)

// Intake is group commit for the statements an instance receives: the
// submissions that arrive while a write is in flight are written together in
// the next transaction, so a burst pays one commit (one flush of the
// write-ahead log), one lock of each procedure's counter and one statement for
// many submissions instead of one each. Nothing waits for a batch to fill: a
// lone submission is written at once. Each submission is still answered only
// after the commit that stores it.
//
// A batch never makes a submission fail that would have succeeded alone: when
// PostgreSQL refuses a batch (an idempotency key it already has, for
// example), it is rolled back and every submission in it is written alone,
// as without the intake.
//
// The intake remembers where each procedure's counter stood after its last
// batch. The next batch for those procedures is built with the numbers that
// follow and sent in one round trip, which moves each counter on only from
// the expected value (take_expected_statement_numbers). Where the guess was
// wrong (another instance wrote, or the procedure changed), PostgreSQL refuses
// the batch before anything is stored, and the batch takes its numbers as a
// first statement does: "BEGIN; take the numbers", then "store; COMMIT".
type Intake struct {
	db *bun.DB

	mu      sync.Mutex
	pending []*arrival
	writers int
	known   map[uuid.UUID]knownCounter
	counts  IntakeCounts
}

// IntakeCounts are how the batches of an intake took their numbers since it
// started. Many misses mean several instances write into the same procedures
// at the same time: correct, but each miss costs its batch a round trip.
type IntakeCounts struct {
	Expected int64 // written with the numbers that follow the intake's last batch
	Missed   int64 // not written with the numbers expected
	Taken    int64 // written with numbers taken from the counter
}

// Counts answers how the intake's batches took their numbers so far.
func (in *Intake) Counts() IntakeCounts {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.counts
}

// knownCounter is a procedure's code and where its counter stands after the
// batches this intake has written.
type knownCounter struct {
	code string
	last int
}

// NewIntake returns the intake that writes through db.
func NewIntake(db *bun.DB) *Intake { return &Intake{db: db, known: map[uuid.UUID]knownCounter{}} }

const (
	// intakeBatch is the most submissions one transaction writes.
	intakeBatch = 64
	// intakeWriters is how many batches are written at once. One: while it
	// waits for its commit, the next batch gathers. A second writer made
	// batches half as big and both wait for the same counter row when the
	// submissions are for one procedure (3,043 against 2,371 JSON submissions
	// per second, make bench BENCH=Submission). With expected numbers, a
	// second writer often reaches a counter before the batch whose numbers it
	// follows, misses and takes the slow path: 2,005 against 4,258.
	intakeWriters = 1
	// intakeTimeout bounds a batch, which no single request's context may
	// cancel: the others in it would fail with it.
	intakeTimeout = 30 * time.Second
	// intakeKnown bounds how many procedures' counters the intake remembers;
	// beyond it, it forgets them all and learns them again, one batch each.
	intakeKnown = 4096
	// expectationMissed is the SQLSTATE take_expected_statement_numbers raises.
	expectationMissed = "BP001"
)

// arrival is one submission waiting for its batch.
type arrival struct {
	procedureID        uuid.UUID
	version            int
	key, requestDigest string
	build              func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error)

	taken bool       // in a batch: its outcome will come
	done  chan error // the outcome; errWriteAlone: write it alone
}

// errWriteAlone is the outcome of a submission whose batch was rolled back
// although the submission itself may be fine: it is written alone.
var errWriteAlone = errors.New("write alone")

// receive queues a submission and waits for the outcome of its batch. A
// submission whose context ends before a batch took it is withdrawn; once
// taken, its outcome is awaited, because it may be committed.
func (in *Intake) receive(ctx context.Context, a *arrival) error {
	a.done = make(chan error, 1)
	in.mu.Lock()
	in.pending = append(in.pending, a)
	if in.writers < intakeWriters {
		in.writers++
		go in.write()
	}
	in.mu.Unlock()
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
	}
	in.mu.Lock()
	if !a.taken {
		in.pending = slices.DeleteFunc(in.pending, func(p *arrival) bool { return p == a })
		in.mu.Unlock()
		return ctx.Err()
	}
	in.mu.Unlock()
	return <-a.done
}

// write writes batches until nothing is pending.
func (in *Intake) write() {
	for {
		batch, twins := in.take()
		if batch == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), intakeTimeout)
		outcomes := in.writeBatch(ctx, batch)
		cancel()
		for i, a := range batch {
			a.done <- outcomes[i]
		}
		for _, a := range twins {
			a.done <- errWriteAlone
		}
	}
}

// take removes the next batch from the queue, oldest first. A submission
// checked against another version of a procedure than an earlier one in the
// batch waits for the next batch: a batch takes each counter once. A
// submission with the idempotency key of one in the batch (a retry that came
// while the first was waiting) is its twin: it is answered after the batch,
// to be written alone, where it finds what became of the first. In the batch
// it would make PostgreSQL refuse the whole batch, and every submission in it
// would be written alone. Without work it gives up its writer's place and
// answers nil.
func (in *Intake) take() (batch, twins []*arrival) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.pending) == 0 {
		in.writers--
		return nil, nil
	}
	type keyOf struct {
		procedureID uuid.UUID
		key         string
	}
	versions, keys := map[uuid.UUID]int{}, map[keyOf]bool{}
	var rest []*arrival
	for _, a := range in.pending {
		v, seen := versions[a.procedureID]
		if len(batch) == intakeBatch || seen && v != a.version {
			rest = append(rest, a)
			continue
		}
		a.taken = true
		if a.key != "" {
			k := keyOf{a.procedureID, a.key}
			if keys[k] {
				twins = append(twins, a)
				continue
			}
			keys[k] = true
		}
		versions[a.procedureID] = a.version
		batch = append(batch, a)
	}
	in.pending = rest
	return batch, twins
}

// counter is one procedure's share of a batch.
type counter struct {
	procedureID uuid.UUID
	version     int
	arrivals    []*arrival
}

// writeBatch writes a batch in one transaction on one connection and answers
// each submission's outcome.
func (in *Intake) writeBatch(ctx context.Context, batch []*arrival) []error {
	outcomes := make([]error, len(batch))
	conn, err := in.db.Conn(ctx)
	if err != nil {
		for i := range outcomes {
			outcomes[i] = err
		}
		return outcomes
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		conn := driverConn.(*stdlib.Conn).Conn()
		pg := conn.PgConn()
		rollback := func() {
			if pg.TxStatus() != 'I' && !pg.IsClosed() {
				_, _ = pg.Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll()
			}
		}
		defer rollback()
		counters := countersOf(batch)
		if expected, ok := in.expect(counters); ok {
			err := in.writeExpected(ctx, conn, batch, counters, expected, outcomes)
			if err == nil {
				in.count(&in.counts.Expected)
			}
			if !errors.Is(err, errExpectationMissed) {
				return err
			}
			rollback()
			clear(outcomes)
		}
		taken, err := in.writeOn(ctx, conn, batch, counters, outcomes)
		if err == nil && taken != nil {
			in.learn(taken)
			in.count(&in.counts.Taken)
		}
		return err
	})
	if err != nil {
		for i := range outcomes {
			if outcomes[i] == nil {
				outcomes[i] = err
			}
		}
	}
	return outcomes
}

// errExpectationMissed is writeExpected's answer when PostgreSQL refused the
// batch, so that nothing of it is stored: it is written with numbers taken.
var errExpectationMissed = errors.New("statement numbers not as expected")

// expect answers the number each counter of a batch is expected to stand at,
// if the intake knows them all, and counts the batch's numbers as taken: a
// second writer expects the numbers after them.
func (in *Intake) expect(counters []counter) ([]knownCounter, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	expected := make([]knownCounter, len(counters))
	for i, c := range counters {
		k, ok := in.known[c.procedureID]
		if !ok {
			return nil, false
		}
		expected[i] = k
	}
	for i, c := range counters {
		in.known[c.procedureID] = knownCounter{expected[i].code, expected[i].last + len(c.arrivals)}
	}
	return expected, true
}

// learn records where counters stand after a batch took their numbers.
func (in *Intake) learn(taken map[uuid.UUID]knownCounter) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.known)+len(taken) > intakeKnown {
		clear(in.known)
	}
	for id, k := range taken {
		if k.last > in.known[id].last {
			in.known[id] = k
		}
	}
}

// count adds a batch to one of the counts.
func (in *Intake) count(n *int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	*n++
}

// forget drops what the intake expected of counters that proved wrong.
func (in *Intake) forget(counters []counter) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.counts.Missed++
	for _, c := range counters {
		delete(in.known, c.procedureID)
	}
}

// writeExpected writes a batch with the numbers that follow the expected ones
// in one round trip: "BEGIN; move the counters from the expected numbers on;
// store everything; COMMIT". It answers errExpectationMissed when PostgreSQL
// refused it (a counter not as expected, a procedure changed, a key used
// twice): the transaction is aborted, nothing is stored.
func (in *Intake) writeExpected(ctx context.Context, conn *pgx.Conn, batch []*arrival, counters []counter,
	expected []knownCounter, outcomes []error) error {
	index := indexOf(batch)
	items := make([]received, 0, len(batch))
	ids := make([]uuid.UUID, len(counters))
	versions, from, counts := make([]int32, len(counters)), make([]int32, len(counters)), make([]int32, len(counters))
	failed := false
	for i, c := range counters {
		ids[i], versions[i] = c.procedureID, int32(c.version)
		from[i], counts[i] = int32(expected[i].last), int32(len(c.arrivals))
		for j, a := range c.arrivals {
			st, receipt, entry, err := buildSafely(a.build, expected[i].code, expected[i].last+1+j)
			if err != nil {
				outcomes[index[a]] = err
				failed = true
				continue
			}
			items = append(items, received{st, a.key, a.requestDigest, receipt, entry})
		}
	}
	args, ok, err := receivedArgs(items)
	if failed || err != nil || !ok {
		// As in writeOn: the ones that failed fail alone, the others are
		// written alone. The numbers expected are not taken.
		in.forget(counters)
		for i := range outcomes {
			if outcomes[i] == nil {
				outcomes[i] = errWriteAlone
			}
		}
		return nil
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SELECT take_expected_statement_numbers($1, $2, $3, $4)", ids, versions, from, counts)
	b.Queue(insertReceivedSQL, args...)
	b.Queue("COMMIT")
	err = conn.SendBatch(ctx, b).Close()
	if err == nil {
		return nil
	}
	in.forget(counters)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !IsUnavailable(err) {
		return errExpectationMissed
	}
	return err // unavailable, or the connection lost: the commit may have happened
}

func indexOf(batch []*arrival) map[*arrival]int {
	index := make(map[*arrival]int, len(batch))
	for i, a := range batch {
		index[a] = i
	}
	return index
}

// writeOn runs writeBatch's transaction that takes the numbers: "BEGIN; take
// the numbers of every procedure in the batch", then "store everything;
// COMMIT". It sets the outcome of the submissions it settles on the way (a
// procedure changed, a statement that cannot be built); an error it returns
// is the outcome of the others. When it committed, it answers where the
// counters it took from stand.
func (in *Intake) writeOn(ctx context.Context, conn *pgx.Conn, batch []*arrival, counters []counter,
	outcomes []error) (map[uuid.UUID]knownCounter, error) {
	pg, gen := conn.PgConn(), in.db.QueryGen()
	var sql strings.Builder
	sql.WriteString("BEGIN; ")
	sql.WriteString(`INSERT INTO statement_counters (procedure_id, code, last)
		SELECT v.id, NULL, v.n FROM (VALUES `)
	for i, c := range counters {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString(gen.FormatQuery("(?::uuid, ?::int, ?::int)", c.procedureID, c.version, len(c.arrivals)))
	}
	// Rows are locked in the order of their procedure: two batches never wait
	// for each other in a circle.
	sql.WriteString(`) AS v (id, version, n)
		WHERE EXISTS (SELECT FROM procedures p WHERE p.id = v.id AND p.version = v.version)
		ORDER BY v.id
		ON CONFLICT (procedure_id) DO UPDATE SET last = statement_counters.last + excluded.last
		RETURNING procedure_id, coalesce(code, ''), last`)
	res, err := pg.Exec(ctx, sql.String()).ReadAll()
	if err != nil {
		return nil, alone(err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("take statement numbers: unexpected answer")
	}
	taken := map[uuid.UUID][2]string{}
	for _, row := range res[1].Rows {
		if len(row) != 3 {
			return nil, fmt.Errorf("take statement numbers: unexpected answer")
		}
		id, err := uuid.Parse(string(row[0]))
		if err != nil {
			return nil, fmt.Errorf("take statement numbers: %w", err)
		}
		taken[id] = [2]string{string(row[1]), string(row[2])}
	}
	index := indexOf(batch)
	stand := make(map[uuid.UUID]knownCounter, len(taken))
	var items []received
	var built []*arrival
	failed := false
	for _, c := range counters {
		t, ok := taken[c.procedureID]
		if !ok {
			for _, a := range c.arrivals {
				outcomes[index[a]] = statement.ErrProcedureChanged
			}
			continue
		}
		code, last := t[0], 0
		if last, err = strconv.Atoi(t[1]); err != nil {
			return nil, fmt.Errorf("take statement numbers: %w", err)
		}
		if code == "" { // the procedure's first statements
			if code, err = drawProcedureCode(ctx, pg, gen, c.procedureID); err != nil {
				return nil, alone(err)
			}
		}
		stand[c.procedureID] = knownCounter{code, last}
		for i, a := range c.arrivals {
			st, receipt, entry, err := buildSafely(a.build, code, last-len(c.arrivals)+1+i)
			if err != nil {
				outcomes[index[a]] = err
				failed = true
				continue
			}
			items = append(items, received{st, a.key, a.requestDigest, receipt, entry})
			built = append(built, a)
		}
	}
	if len(items) == 0 {
		return nil, nil // rolled back: no number is used
	}
	if failed {
		// Their numbers are taken in this transaction: roll it back, so that
		// numbers have no gaps, and write the others alone.
		for _, a := range built {
			outcomes[index[a]] = errWriteAlone
		}
		return nil, nil
	}
	args, ok, err := receivedArgs(items)
	if err != nil || !ok { // a receipt that cannot be queued fails alone
		for _, a := range built {
			outcomes[index[a]] = errWriteAlone
		}
		return nil, nil
	}
	// One round trip: the prepared insert and the commit.
	b := &pgx.Batch{}
	b.Queue(insertReceivedSQL, args...)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, alone(err)
	}
	return stand, nil
}

// alone is the outcome of a batch that failed with err. PostgreSQL refused
// it, so nothing of it is stored: each submission is written alone, unless
// the database is unavailable, when that is the answer for all (503, repeat
// later). Otherwise (a lost connection) the commit may have happened, and the
// error is the answer, as it would be for a submission alone.
func alone(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !IsUnavailable(err) {
		return errWriteAlone
	}
	return err
}

// buildSafely calls build, turning a panic into its error: it runs on the
// writer's goroutine, where a panic would end the process, not one request.
func buildSafely(build func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error),
	code string, seq int) (st statement.Statement, receipt *mail.Message, entry audit.Entry, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build statement: panic: %v", r)
		}
	}()
	return build(code, seq)
}

// countersOf groups a batch by procedure, in the order of procedure IDs.
func countersOf(batch []*arrival) []counter {
	var counters []counter
	at := map[uuid.UUID]int{}
	for _, a := range batch {
		i, ok := at[a.procedureID]
		if !ok {
			i = len(counters)
			at[a.procedureID] = i
			counters = append(counters, counter{procedureID: a.procedureID, version: a.version})
		}
		counters[i].arrivals = append(counters[i].arrivals, a)
	}
	slices.SortFunc(counters, func(a, b counter) int { return bytes.Compare(a.procedureID[:], b.procedureID[:]) })
	return counters
}

// drawProcedureCode gives a procedure whose counter row was just created its
// code, in the transaction that created the row.
func drawProcedureCode(ctx context.Context, pg *pgconn.PgConn, gen schema.QueryGen, procedureID uuid.UUID) (string, error) {
	res, err := pg.Exec(ctx, "SELECT nextval('statement_code_seq')").ReadAll()
	if err != nil {
		return "", err
	}
	n, err := strconv.ParseInt(string(res[0].Rows[0][0]), 10, 64)
	if err != nil {
		return "", fmt.Errorf("take procedure code: %w", err)
	}
	code := statement.ProcedureCode(n)
	if _, err := pg.Exec(ctx, gen.FormatQuery(`UPDATE statement_counters SET code = ? WHERE procedure_id = ?`, code, procedureID)).ReadAll(); err != nil {
		return "", err
	}
	return code, nil
}
