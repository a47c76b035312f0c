package account

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

func TestInputValidate(t *testing.T) {
	t.Parallel()
	ok := Input{Email: "a@b.de", DisplayName: "Ada", Password: "twelve chars"}
	tests := []struct {
		name   string
		change func(*Input)
		fields []string
	}{
		{"valid", func(*Input) {}, nil},
		{"upper-case e-mail is fine", func(in *Input) { in.Email = " Ada@B.DE " }, nil},
		{"missing e-mail", func(in *Input) { in.Email = "" }, []string{"email"}},
		{"bad e-mail", func(in *Input) { in.Email = "Ada <a@b.de>" }, []string{"email"}},
		{"missing name", func(in *Input) { in.DisplayName = " " }, []string{"display_name"}},
		{"short password", func(in *Input) { in.Password = "elevenchars" }, []string{"password"}},
		{"twelve umlauts are twelve characters", func(in *Input) { in.Password = strings.Repeat("ä", 12) }, nil},
		{"huge password", func(in *Input) { in.Password = strings.Repeat("x", MaxPasswordLen+1) }, []string{"password"}},
		{"everything wrong at once", func(in *Input) { *in = Input{} }, []string{"email", "display_name", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ok
			tt.change(&in)
			err := in.Validate()
			var ve *domain.ValidationError
			errors.As(err, &ve)
			var got []string
			if ve != nil {
				for _, f := range ve.Fields {
					got = append(got, f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("got fields %v, want %v (err %v)", got, tt.fields, err)
			}
		})
	}
}

func TestPrincipalRules(t *testing.T) {
	t.Parallel()
	freiberg, grimma := uuid.New(), uuid.New()
	member := func(org uuid.UUID, r Role) Principal {
		return Principal{Memberships: []Membership{{OrganisationID: org, Role: r}}}
	}
	instanceAdmin := Principal{Account: Account{InstanceAdmin: true}}
	tests := []struct {
		name                                   string
		p                                      Principal
		org                                    uuid.UUID
		manageOrgs, members, log, drafts, edit bool
	}{
		{"instance admin anywhere", instanceAdmin, grimma, true, true, true, true, false},
		{"instance admin, instance trail", instanceAdmin, uuid.Nil, true, true, true, true, false},
		{"org admin of own organisation", member(freiberg, RoleOrgAdmin), freiberg, false, true, true, true, true},
		{"org admin of another organisation", member(freiberg, RoleOrgAdmin), grimma, false, false, false, false, false},
		{"org admin, instance trail", member(freiberg, RoleOrgAdmin), uuid.Nil, false, false, false, false, false},
		{"editor", member(freiberg, RoleEditor), freiberg, false, false, false, true, true},
		{"editor of another organisation", member(freiberg, RoleEditor), grimma, false, false, false, false, false},
		{"moderator", member(freiberg, RoleModerator), freiberg, false, false, false, true, false},
		{"viewer", member(freiberg, RoleViewer), freiberg, false, false, false, true, false},
		{"nobody", Principal{}, freiberg, false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.CanManageOrganisations(); got != tt.manageOrgs {
				t.Errorf("CanManageOrganisations: got %v, want %v", got, tt.manageOrgs)
			}
			if tt.org != uuid.Nil {
				if got := tt.p.CanManageMembers(tt.org); got != tt.members {
					t.Errorf("CanManageMembers: got %v, want %v", got, tt.members)
				}
			}
			if got := tt.p.CanReadAudit(tt.org); got != tt.log {
				t.Errorf("CanReadAudit: got %v, want %v", got, tt.log)
			}
			if tt.org != uuid.Nil {
				if got := tt.p.CanSeeInternals(tt.org); got != tt.drafts {
					t.Errorf("CanSeeInternals: got %v, want %v", got, tt.drafts)
				}
				if got := tt.p.CanEditProcedures(tt.org); got != tt.edit {
					t.Errorf("CanEditProcedures: got %v, want %v", got, tt.edit)
				}
			}
		})
	}
}
