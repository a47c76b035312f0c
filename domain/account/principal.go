package account

import "github.com/google/uuid"

// Principal is the signed-in staff member as authorisation sees them: who they are
// and which role they hold where. It is built fresh for every request, so a changed
// role takes effect at once.
type Principal struct {
	Account     Account
	Memberships []Membership
}

// RoleIn returns the role held in the organisation and whether there is one.
func (p Principal) RoleIn(org uuid.UUID) (Role, bool) {
	for _, m := range p.Memberships {
		if m.OrganisationID == org {
			return m.Role, true
		}
	}
	return "", false
}

// IsInstanceAdmin reports whether the principal administers the whole instance.
func (p Principal) IsInstanceAdmin() bool { return p.Account.InstanceAdmin }

// CanManageOrganisations reports whether the principal may create, change and
// delete organisations. Only instance admins may.
func (p Principal) CanManageOrganisations() bool { return p.IsInstanceAdmin() }

// CanManageMembers reports whether the principal may list and change the members of
// org: instance admins anywhere, org admins in their own organisation only.
func (p Principal) CanManageMembers(org uuid.UUID) bool {
	if p.IsInstanceAdmin() {
		return true
	}
	r, ok := p.RoleIn(org)
	return ok && r == RoleOrgAdmin
}

// CanReadAudit reports whether the principal may read org's audit trail; the
// instance-wide trail (uuid.Nil) is for instance admins only.
func (p Principal) CanReadAudit(org uuid.UUID) bool {
	if org == uuid.Nil {
		return p.IsInstanceAdmin()
	}
	return p.CanManageMembers(org)
}

// CanSeeInternals reports whether the principal may see org's unpublished work
// (drafts, internal notes): its members in any role and instance admins.
func (p Principal) CanSeeInternals(org uuid.UUID) bool {
	if p.IsInstanceAdmin() {
		return true
	}
	_, ok := p.RoleIn(org)
	return ok
}

// CanEditProcedures reports whether the principal may create and change org's
// procedures: its org admins and editors.
func (p Principal) CanEditProcedures(org uuid.UUID) bool {
	r, ok := p.RoleIn(org)
	return ok && (r == RoleOrgAdmin || r == RoleEditor)
}

// CanReadStatements reports whether the principal may read the statements
// received by org's procedures: its members in any role. Instance admins are
// not included: statements carry personal data, and administering the
// instance is no reason to read them.
func (p Principal) CanReadStatements(org uuid.UUID) bool {
	_, ok := p.RoleIn(org)
	return ok
}

// CanWeighStatements reports whether the principal may see submitters'
// personal data, weigh statements and record those that arrive by post: org
// admins, editors and moderators of org. Viewers read pseudonymised.
func (p Principal) CanWeighStatements(org uuid.UUID) bool {
	r, ok := p.RoleIn(org)
	return ok && (r == RoleOrgAdmin || r == RoleEditor || r == RoleModerator)
}
