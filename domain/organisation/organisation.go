// Package organisation models the bodies that use the portal: the state, its
// districts and municipalities, other authorities, and public bodies (Träger
// öffentlicher Belange) that agencies invite to formal participation.
package organisation

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// Kind says what sort of body an organisation is.
type Kind string

// The kinds of organisation an instance knows.
const (
	KindState        Kind = "state"
	KindDistrict     Kind = "district"
	KindMunicipality Kind = "municipality"
	KindAuthority    Kind = "authority"
	KindPublicBody   Kind = "public_body"
)

// Kinds lists every valid kind in a stable order.
var Kinds = []Kind{KindState, KindDistrict, KindMunicipality, KindAuthority, KindPublicBody}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Rule violations of the organisation hierarchy.
var (
	ErrParentKind   = domain.NewRule(domain.ErrInvalid, "organisation.parent_kind")
	ErrAGSRequired  = domain.NewRule(domain.ErrInvalid, "organisation.ags_required")
	ErrAGSMismatch  = domain.NewRule(domain.ErrInvalid, "organisation.ags_parent_mismatch")
	ErrCycle        = domain.NewRule(domain.ErrInvalid, "organisation.cycle")
	ErrHasChildren  = domain.NewRule(domain.ErrConflict, "organisation.has_children")
	ErrAGSTaken     = domain.NewRule(domain.ErrConflict, "organisation.ags_taken")
	ErrNotFound     = domain.NewRule(domain.ErrNotFound, "organisation.not_found")
	ErrParentAbsent = domain.NewRule(domain.ErrInvalid, "organisation.parent_not_found")
)

// Contact is how citizens and other bodies reach an organisation.
type Contact struct {
	Email   string
	Phone   string
	Address string
	Website string
}

// Organisation is one body in the hierarchy.
type Organisation struct {
	ID        uuid.UUID
	ParentID  uuid.UUID // uuid.Nil for a root
	Name      string
	Kind      Kind
	AGS       AGS // zero when the body has no municipality key
	Contact   Contact
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Input is what a caller may set on an organisation.
type Input struct {
	ParentID uuid.UUID
	Name     string
	Kind     Kind
	AGS      string
	Contact  Contact
}

// Maximum lengths of free-text fields.
const (
	maxName    = 200
	maxContact = 300
)

// New validates the input and returns a new organisation. parent is the parent
// organisation when in.ParentID is set (the caller loads it), nil otherwise.
func New(id uuid.UUID, in Input, parent *Organisation, now time.Time) (Organisation, error) {
	o := Organisation{ID: id, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if err := o.apply(in, parent); err != nil {
		return Organisation{}, err
	}
	return o, nil
}

// Update changes the organisation's data after validating it. ancestors are the
// IDs above the new parent (including the parent), used to refuse cycles.
func (o *Organisation) Update(in Input, parent *Organisation, ancestors []uuid.UUID, now time.Time) error {
	for _, a := range ancestors {
		if a == o.ID {
			return ErrCycle
		}
	}
	next := *o
	if err := next.apply(in, parent); err != nil {
		return err
	}
	next.UpdatedAt = now.UTC()
	*o = next
	return nil
}

func (o *Organisation) apply(in Input, parent *Organisation) error {
	var v domain.ValidationError
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		v.Add("name", "required")
	case utf8.RuneCountInString(name) > maxName:
		v.Add("name", "too_long")
	}
	if !in.Kind.Valid() {
		v.Add("kind", "organisation.kind_invalid")
	}
	var ags AGS
	if s := strings.TrimSpace(in.AGS); s != "" {
		a, err := ParseAGS(s)
		if err != nil {
			v.Add("ags", "organisation.ags_invalid")
		}
		ags = a
	}
	c := Contact{
		Email:   strings.TrimSpace(in.Contact.Email),
		Phone:   strings.TrimSpace(in.Contact.Phone),
		Address: strings.TrimSpace(in.Contact.Address),
		Website: strings.TrimSpace(in.Contact.Website),
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			v.Add("contact.email", "email")
		}
	}
	for field, val := range map[string]string{"contact.phone": c.Phone, "contact.address": c.Address, "contact.website": c.Website} {
		if utf8.RuneCountInString(val) > maxContact {
			v.Add(field, "too_long")
		}
	}
	if c.Website != "" && !strings.HasPrefix(c.Website, "https://") && !strings.HasPrefix(c.Website, "http://") {
		v.Add("contact.website", "url")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := checkPlacement(in.Kind, ags, parent); err != nil {
		return err
	}
	o.ParentID = uuid.Nil
	if parent != nil {
		o.ParentID = parent.ID
	}
	o.Name, o.Kind, o.AGS, o.Contact = name, in.Kind, ags, c
	return nil
}

// checkPlacement enforces the shape of the hierarchy: districts sit under a state,
// municipalities under a district or directly under a state (kreisfreie Städte),
// and keys of municipalities and districts lie inside their parent's key.
func checkPlacement(kind Kind, ags AGS, parent *Organisation) error {
	switch kind {
	case KindState:
		if parent != nil {
			return ErrParentKind
		}
	case KindDistrict:
		if parent == nil || parent.Kind != KindState {
			return ErrParentKind
		}
	case KindMunicipality:
		if parent == nil || (parent.Kind != KindDistrict && parent.Kind != KindState) {
			return ErrParentKind
		}
	}
	if (kind == KindMunicipality || kind == KindDistrict) && ags.IsZero() {
		return ErrAGSRequired
	}
	if !ags.IsZero() && parent != nil && !parent.AGS.IsZero() && (kind == KindMunicipality || kind == KindDistrict) {
		if !ags.Within(parent.AGS) {
			return ErrAGSMismatch
		}
	}
	return nil
}
