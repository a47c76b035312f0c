package survey

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Survey is a procedure's questionnaire with its settings.
type Survey struct {
	ProcedureID   uuid.UUID
	Questionnaire Questionnaire
	Settings      Settings
	// ResultsPublishedAt: when the agency published the results (zero: not published).
	ResultsPublishedAt time.Time
	UpdatedAt          time.Time
	Version            int
}

// Status is where a response stands.
type Status string

// Response statuses.
const (
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
)

// Response is one participant's answers: a draft to resume later, or the
// submitted, checked answers.
type Response struct {
	ID       uuid.UUID
	SurveyID uuid.UUID
	Status   Status
	// Draft holds a draft's answers as sent, unchecked.
	Draft map[string]json.RawMessage
	// Answers of a submitted response, checked.
	Answers Answers
	// AccountID of a signed-in participant (one response per account).
	AccountID uuid.UUID
	// BrowserKey identifies the browser token (one response per browser).
	BrowserKey string
	// ResumeHash is the hash of a draft's resume token.
	ResumeHash     string
	AccessCodeHash string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SubmittedAt    time.Time
}
