package organisation

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

func TestParseAGS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"14522180", true},
		{"14000000", true},
		{"01001000", true},
		{"16077000", true},
		{"00000000", false}, // no state 00
		{"17000000", false}, // there are 16 states
		{"1452218", false},
		{"145221800", false},
		{"1452218a", false},
		{"", false},
		{"１４５２２１８０", false}, // full-width digits
	}
	for _, tt := range tests {
		_, err := ParseAGS(tt.in)
		if got := err == nil; got != tt.want {
			t.Errorf("ParseAGS(%q): got ok=%v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAGSWithin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		child, parent AGS
		want          bool
	}{
		{"14522180", "14522000", true},  // municipality in its district
		{"14522000", "14000000", true},  // district in its state
		{"14522180", "14000000", true},  // municipality directly under the state
		{"14729160", "14522000", false}, // other district
		{"09162000", "14000000", false}, // other state
		{"14000000", "14000000", false}, // not inside itself
	}
	for _, tt := range tests {
		if got := tt.child.Within(tt.parent); got != tt.want {
			t.Errorf("%s.Within(%s): got %v, want %v", tt.child, tt.parent, got, tt.want)
		}
	}
}

func FuzzParseAGS(f *testing.F) {
	for _, s := range []string{"14522180", "00000000", "x", "", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAGS(s)
		if err != nil {
			return
		}
		if len(a) != 8 || a.String() != s {
			t.Fatalf("accepted %q as %q", s, a)
		}
		_ = a.prefix() // must not panic on any accepted key
	})
}

func TestNewRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	state := &Organisation{ID: uuid.New(), Kind: KindState, AGS: "14000000"}
	district := &Organisation{ID: uuid.New(), Kind: KindDistrict, AGS: "14522000"}
	body := &Organisation{ID: uuid.New(), Kind: KindPublicBody}
	tests := []struct {
		name   string
		in     Input
		parent *Organisation
		want   error  // category or rule
		field  string // for validation errors
	}{
		{"state at the top", Input{Name: "Freistaat Sachsen", Kind: KindState, AGS: "14000000"}, nil, nil, ""},
		{"state under a state", Input{Name: "X", Kind: KindState}, state, ErrParentKind, ""},
		{"district under its state", Input{Name: "LK", Kind: KindDistrict, AGS: "14522000"}, state, nil, ""},
		{"district without parent", Input{Name: "LK", Kind: KindDistrict, AGS: "14522000"}, nil, ErrParentKind, ""},
		{"district without key", Input{Name: "LK", Kind: KindDistrict}, state, ErrAGSRequired, ""},
		{"municipality in its district", Input{Name: "Freiberg", Kind: KindMunicipality, AGS: "14522180"}, district, nil, ""},
		{"independent city under the state", Input{Name: "Leipzig", Kind: KindMunicipality, AGS: "14713000"}, state, nil, ""},
		{"municipality in another district", Input{Name: "Grimma", Kind: KindMunicipality, AGS: "14729160"}, district, ErrAGSMismatch, ""},
		{"municipality under a public body", Input{Name: "G", Kind: KindMunicipality, AGS: "14522180"}, body, ErrParentKind, ""},
		{"public body without key", Input{Name: "Zweckverband", Kind: KindPublicBody}, nil, nil, ""},
		{"authority under the state", Input{Name: "Landesamt", Kind: KindAuthority}, state, nil, ""},
		{"empty name", Input{Name: "  ", Kind: KindPublicBody}, nil, domain.ErrInvalid, "name"},
		{"unknown kind", Input{Name: "X", Kind: "club"}, nil, domain.ErrInvalid, "kind"},
		{"bad key", Input{Name: "X", Kind: KindPublicBody, AGS: "12"}, nil, domain.ErrInvalid, "ags"},
		{"bad e-mail", Input{Name: "X", Kind: KindPublicBody, Contact: Contact{Email: "no mail"}}, nil, domain.ErrInvalid, "contact.email"},
		{"website without scheme", Input{Name: "X", Kind: KindPublicBody, Contact: Contact{Website: "www.x.de"}}, nil, domain.ErrInvalid, "contact.website"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := New(uuid.New(), tt.in, tt.parent, now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if tt.parent != nil && o.ParentID != tt.parent.ID {
					t.Fatalf("parent: got %v, want %v", o.ParentID, tt.parent.ID)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.field != "" {
				var ve *domain.ValidationError
				if !errors.As(err, &ve) || ve.Fields[0].Field != tt.field {
					t.Fatalf("got %v, want a validation error on %s", err, tt.field)
				}
			}
		})
	}
}

func TestUpdateRefusesCycles(t *testing.T) {
	t.Parallel()
	now := time.Now()
	o, err := New(uuid.New(), Input{Name: "Amt", Kind: KindAuthority}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	child := &Organisation{ID: uuid.New(), Kind: KindAuthority, ParentID: o.ID}
	err = o.Update(Input{Name: "Amt", Kind: KindAuthority}, child, []uuid.UUID{child.ID, o.ID}, now)
	if !errors.Is(err, ErrCycle) {
		t.Fatalf("got %v, want %v", err, ErrCycle)
	}
	if o.ParentID != uuid.Nil {
		t.Fatalf("a refused update changed the organisation")
	}
}
