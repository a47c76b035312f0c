// Package audit describes the append-only record of staff actions.
package audit

import (
	"time"

	"github.com/google/uuid"
)

// Entry is one recorded action: who did what, acting for which organisation, on
// which object, when, and in which request.
type Entry struct {
	ID             int64
	At             time.Time
	ActorID        uuid.UUID // uuid.Nil for actions from the shell (create-admin, seed)
	ActorEmail     string
	OrganisationID uuid.UUID // the organisation acted for; uuid.Nil for instance level
	Action         string    // e.g. "organisation.create"
	ObjectType     string
	ObjectID       string
	RequestID      string
	Details        map[string]any
}

// Filter narrows a listing of the trail.
type Filter struct {
	OrganisationID uuid.UUID // uuid.Nil: every organisation (instance admins only)
	Before         int64     // keyset cursor: entries with a smaller ID; 0 for the newest
	Limit          int
}
