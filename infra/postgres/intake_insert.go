package postgres

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"beteiligungsportal/domain/statement"
)

// insertReceivedSQL stores a batch of received statements, their
// attachments, receipt mails and audit entries from one array per column.
// The text never changes, so the driver prepares it once per connection:
// PostgreSQL neither parses nor plans it again, and no SQL text is built for
// the values (a batch of eight written as text took PostgreSQL about a third
// longer). The columns it leaves out have their defaults, as a statement
// just received has them (see receivedArgs).
const insertReceivedSQL = `
WITH s AS (
	INSERT INTO statements (id, procedure_id, phase_id, number, seq, channel, kind, on_behalf_of, account_id,
		submitter_name, submitter_address, submitter_email, text, document_id, section, location_lon, location_lat,
		outside_area, privacy_version, digest, received_at, timely, idempotency_key, request_digest)
	SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[],
		$8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[], $14::uuid[], $15::text[],
		$16::float8[], $17::float8[], $18::bool[], $19::text[], $20::text[], $21::timestamptz[], $22::bool[],
		$23::text[], $24::text[])
), a AS (
	INSERT INTO statement_attachments (id, statement_id, position, file_name, content_type, size, sha256, storage_key)
	SELECT * FROM unnest($25::uuid[], $26::uuid[], $27::int[], $28::text[], $29::text[], $30::bigint[],
		$31::text[], $32::text[])
), m AS (
	INSERT INTO mail_outbox (id, recipient, subject, body, kind, ref)
	SELECT * FROM unnest($33::uuid[], $34::text[], $35::text[], $36::text[], $37::text[], $38::text[])
)
INSERT INTO audit_log (at, actor_id, actor_email, organisation_id, action, object_type, object_id, request_id, details)
SELECT at, actor_id, actor_email, organisation_id, action, object_type, object_id, request_id, details::jsonb
FROM unnest($39::timestamptz[], $40::uuid[], $41::text[], $42::uuid[], $43::text[], $44::text[], $45::text[],
	$46::text[], $47::text[]) AS e (at, actor_id, actor_email, organisation_id, action, object_type, object_id,
	request_id, details)`

// receivedArgs are insertReceivedSQL's arguments for items; false if one of
// them is not as a statement just received is (weighed, withdrawn, grouped):
// those columns are left to their defaults there.
func receivedArgs(items []received) ([]any, bool, error) {
	var (
		ids, procs, phases, onBehalf, accounts, docs          []pgtype.UUID
		numbers, channels, kinds, names, addresses, emails    []string
		texts, sections, privacy, digests                     []string
		seqs                                                  []int32
		lons, lats                                            []*float64
		outside, timely                                       []bool
		receivedAt                                            []time.Time
		keys, requestDigests                                  []*string
		attIDs, attStatements                                 []pgtype.UUID
		attPositions                                          []int32
		attNames, attTypes, attSHA, attKeys                   []string
		attSizes                                              []int64
		mailIDs                                               []pgtype.UUID
		mailTo, mailSubjects, mailBodies, mailKinds, mailRefs []string
		at                                                    []time.Time
		actors, orgs                                          []pgtype.UUID
		actorEmails, actions, objectTypes, objectIDs          []string
		requestIDs, details                                   []string
	)
	for _, it := range items {
		st := it.st
		if !justReceived(st) {
			return nil, false, nil
		}
		r := statementRowFrom(st, it.key, it.requestDigest)
		ids, procs, phases = append(ids, pgUUID(r.ID)), append(procs, pgUUID(r.ProcedureID)), append(phases, pgUUID(r.PhaseID))
		numbers, seqs = append(numbers, r.Number), append(seqs, int32(r.Seq))
		channels, kinds = append(channels, r.Channel), append(kinds, r.Kind)
		onBehalf, accounts = append(onBehalf, pgUUID(r.OnBehalfOf)), append(accounts, pgUUID(r.AccountID))
		names, addresses, emails = append(names, r.SubmitterName), append(addresses, r.SubmitterAddress), append(emails, r.SubmitterEmail)
		texts, docs, sections = append(texts, r.Text), append(docs, pgUUID(r.DocumentID)), append(sections, r.Section)
		lons, lats = append(lons, r.LocationLon), append(lats, r.LocationLat)
		outside, privacy, digests = append(outside, r.OutsideArea), append(privacy, r.PrivacyVersion), append(digests, r.Digest)
		receivedAt, timely = append(receivedAt, r.ReceivedAt), append(timely, r.Timely)
		keys, requestDigests = append(keys, nullIfEmpty(r.IdempotencyKey)), append(requestDigests, nullIfEmpty(r.RequestDigest))
		for _, a := range attachmentRows(st) {
			attIDs, attStatements, attPositions = append(attIDs, pgUUID(a.ID)), append(attStatements, pgUUID(a.StatementID)), append(attPositions, int32(a.Position))
			attNames, attTypes, attSizes = append(attNames, a.FileName), append(attTypes, a.ContentType), append(attSizes, a.Size)
			attSHA, attKeys = append(attSHA, a.SHA256), append(attKeys, a.StorageKey)
		}
		if it.receipt != nil {
			m, err := outboxRowFrom(*it.receipt)
			if err != nil {
				return nil, false, err
			}
			mailIDs, mailTo, mailSubjects = append(mailIDs, pgUUID(m.ID)), append(mailTo, m.Recipient), append(mailSubjects, m.Subject)
			mailBodies, mailKinds, mailRefs = append(mailBodies, m.Body), append(mailKinds, m.Kind), append(mailRefs, m.Ref)
		}
		e := auditRowFrom(it.entry)
		d, err := json.Marshal(e.Details)
		if err != nil {
			return nil, false, err
		}
		at, actors, actorEmails = append(at, e.At), append(actors, pgUUID(e.ActorID)), append(actorEmails, e.ActorEmail)
		orgs, actions, objectTypes = append(orgs, pgUUID(e.OrganisationID)), append(actions, e.Action), append(objectTypes, e.ObjectType)
		objectIDs, requestIDs, details = append(objectIDs, e.ObjectID), append(requestIDs, e.RequestID), append(details, string(d))
	}
	return []any{ids, procs, phases, numbers, seqs, channels, kinds, onBehalf, accounts, names, addresses, emails,
		texts, docs, sections, lons, lats, outside, privacy, digests, receivedAt, timely, keys, requestDigests,
		attIDs, attStatements, attPositions, attNames, attTypes, attSizes, attSHA, attKeys,
		mailIDs, mailTo, mailSubjects, mailBodies, mailKinds, mailRefs,
		at, actors, actorEmails, orgs, actions, objectTypes, objectIDs, requestIDs, details}, true, nil
}

// justReceived reports whether the columns that insertReceivedSQL leaves to
// their defaults have them.
func justReceived(st statement.Statement) bool {
	return st.Status == statement.StatusReceived && len(st.Topics) == 0 && st.Answer == "" && st.Decision == "" &&
		st.Priority == "" && st.GroupID == uuid.Nil && st.WithdrawnAt.IsZero() && st.Version == 1
}

// pgUUID is id as a parameter, NULL for the zero UUID (as Bun's nullzero).
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: id != uuid.Nil} }

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
