package statement

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// digestV1 is the canonical form a statement's digest is computed over: JSON
// with the fields in this order, times in UTC with nanoseconds (RFC 3339),
// absent IDs as "", no location as null. Anyone holding the statement as
// received can recompute it; docs/statements.md shows how.
type digestV1 struct {
	Version        string             `json:"v"`
	ProcedureID    string             `json:"procedure_id"`
	PhaseID        string             `json:"phase_id"`
	Number         string             `json:"number"`
	ReceivedAt     string             `json:"received_at"`
	Channel        Channel            `json:"channel"`
	Kind           SubmitterKind      `json:"kind"`
	OnBehalfOf     string             `json:"on_behalf_of"`
	Name           string             `json:"name"`
	Address        string             `json:"address"`
	Email          string             `json:"email"`
	Text           string             `json:"text"`
	DocumentID     string             `json:"document_id"`
	Section        string             `json:"section"`
	Location       *[2]float64        `json:"location"`
	PrivacyVersion string             `json:"privacy_version"`
	Attachments    []digestAttachment `json:"attachments"`
}

type digestAttachment struct {
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

func idString[T interface{ String() string }](id T, zero T) string {
	if any(id) == any(zero) {
		return ""
	}
	return id.String()
}

// ComputeDigest returns the lower-case hex SHA-256 of the statement's
// canonical form: everything received, nothing of the weighing.
func ComputeDigest(s Statement) string {
	var zero Statement
	d := digestV1{Version: "1", ProcedureID: s.ProcedureID.String(), PhaseID: s.PhaseID.String(), Number: s.Number,
		ReceivedAt: s.ReceivedAt.UTC().Format(time.RFC3339Nano), Channel: s.Channel, Kind: s.Kind,
		OnBehalfOf: idString(s.OnBehalfOf, zero.OnBehalfOf), Name: s.Submitter.Name, Address: s.Submitter.Address,
		Email: s.Submitter.Email, Text: s.Text, DocumentID: idString(s.DocumentID, zero.DocumentID), Section: s.Section,
		PrivacyVersion: s.PrivacyVersion, Attachments: []digestAttachment{}}
	if s.Location != nil {
		d.Location = &[2]float64{s.Location.Lon, s.Location.Lat}
	}
	for _, a := range s.Attachments {
		d.Attachments = append(d.Attachments, digestAttachment{a.FileName, a.ContentType, a.Size, a.SHA256})
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // strings, numbers and slices always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
