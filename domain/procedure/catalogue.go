package procedure

import (
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain/geo"
)

// Sort orders the public catalogue.
type Sort string

// Catalogue orders.
const (
	SortNewest    Sort = "newest"    // most recently published first
	SortDeadline  Sort = "deadline"  // soonest end of a running or coming phase first
	SortRelevance Sort = "relevance" // best text match first (needs a text query)
)

// Filter selects procedures of the public catalogue. Drafts never match.
type Filter struct {
	Types          []Type
	Statuses       []Status
	OrganisationID uuid.UUID // with its sub-organisations; uuid.Nil for all
	AGS            string    // municipality key; a district or state key matches what lies in it
	BBox           *geo.BBox // procedures whose area intersects the box
	OpenNow        bool
	Text           string
	Sort           Sort
	Cursor         string // from the previous page; "" for the first
	Limit          int
	Now            time.Time // the instant statuses are derived for
}

// Page is one page of the catalogue.
type Page struct {
	Items      []Procedure
	NextCursor string // "" on the last page
}
