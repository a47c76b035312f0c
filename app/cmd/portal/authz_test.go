package main

import (
	"encoding/json"
	"testing"
)

func memberEmails(t *testing.T, c *client, org string) map[string]string {
	t.Helper()
	res := c.do("GET", "/api/v1/organisations/"+org+"/members", nil)
	if res.Status != 200 {
		t.Fatalf("members: %d %s", res.Status, res.Body)
	}
	var body struct {
		Items []struct{ AccountID, Email, Role string } `json:"items"`
	}
	_ = json.Unmarshal(res.Body, &body)
	out := map[string]string{}
	for _, m := range body.Items {
		out[m.Email] = m.Role
	}
	return out
}

func accountID(t *testing.T, c *client, org, email string) string {
	t.Helper()
	res := c.do("GET", "/api/v1/organisations/"+org+"/members", nil)
	var body struct {
		Items []struct {
			AccountID string `json:"account_id"`
			Email     string `json:"email"`
		} `json:"items"`
	}
	_ = json.Unmarshal(res.Body, &body)
	for _, m := range body.Items {
		if m.Email == email {
			return m.AccountID
		}
	}
	t.Fatalf("no member %s", email)
	return ""
}

// Every member and audit route of one municipality, tried by people who must not
// use it; afterwards nothing has changed.
func TestNobodyReachesAnotherOrganisationsMembers(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	freiberg := admin.orgID("Freiberg")
	target := accountID(t, admin, freiberg, "freiberg-editor@demo.example")
	before := memberEmails(t, admin, freiberg)

	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/organisations/" + freiberg + "/members", nil},
		{"POST", "/api/v1/organisations/" + freiberg + "/members", map[string]string{"email": "spy@demo.example", "display_name": "Spy", "role": "org_admin"}},
		{"PATCH", "/api/v1/organisations/" + freiberg + "/members/" + target, map[string]string{"role": "viewer"}},
		{"DELETE", "/api/v1/organisations/" + freiberg + "/members/" + target, nil},
		{"GET", "/api/v1/organisations/" + freiberg + "/audit", nil},
		{"GET", "/api/v1/audit", nil},
		{"PUT", "/api/v1/organisations/" + freiberg, map[string]any{"name": "Gekapert", "kind": "authority"}},
		{"DELETE", "/api/v1/organisations/" + freiberg, nil},
		{"POST", "/api/v1/organisations", map[string]any{"name": "Neue Stelle", "kind": "authority"}},
	}
	intruders := []string{
		"grimma-admin@demo.example",       // org admin of another municipality
		"doebeln-editor@demo.example",     // staff of a neighbour in the same district
		"toeb@demo.example",               // a public body
		"freiberg-editor@demo.example",    // own staff, but not org admin
		"freiberg-moderator@demo.example", // idem
		"freiberg-viewer@demo.example",    // idem
	}
	for _, who := range intruders {
		c := srv.client(t)
		c.login(who)
		for _, r := range routes {
			res := c.do(r.method, r.path, r.body)
			wantProblem(t, res, 403, "forbidden")
		}
	}
	// Anonymous callers are asked to sign in.
	anon := srv.client(t)
	for _, r := range routes {
		wantProblem(t, anon.do(r.method, r.path, r.body), 401, "unauthenticated")
	}
	after := memberEmails(t, admin, freiberg)
	if len(after) != len(before) {
		t.Fatalf("members changed: before %v, after %v", before, after)
	}
	for email, role := range before {
		if after[email] != role {
			t.Fatalf("member %s changed from %s to %s", email, role, after[email])
		}
	}
	if res := admin.do("GET", "/api/v1/organisations/"+freiberg, nil); res.JSON()["name"] != "Universitätsstadt Freiberg" {
		t.Fatalf("organisation changed: %s", res.Body)
	}
}

func TestOrgAdminManagesOwnMembers(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	c.login("grimma-admin@demo.example")
	grimma := c.orgID("Grimma")
	res := c.do("POST", "/api/v1/organisations/"+grimma+"/members", map[string]string{"email": "Neue.Kollegin@Grimma.example", "display_name": "Neue Kollegin", "role": "editor"})
	if res.Status != 201 {
		t.Fatalf("add: %d %s", res.Status, res.Body)
	}
	added := res.JSON()
	pw, _ := added["initial_password"].(string)
	if added["email"] != "neue.kollegin@grimma.example" || added["account_created"] != true || len(pw) < 12 {
		t.Fatalf("added: %v", added)
	}
	id := added["account_id"].(string)
	wantProblem(t, c.do("POST", "/api/v1/organisations/"+grimma+"/members", map[string]string{"email": "neue.kollegin@grimma.example", "role": "viewer"}), 409, "conflict")
	// The new colleague can sign in with the password shown once.
	nc := srv.client(t)
	if res := nc.do("POST", "/api/v1/auth/login", map[string]string{"email": "NEUE.KOLLEGIN@grimma.example", "password": pw}); res.Status != 200 {
		t.Fatalf("new member login: %d %s", res.Status, res.Body)
	}
	// An existing account from elsewhere can be added without a new password.
	res = c.do("POST", "/api/v1/organisations/"+grimma+"/members", map[string]string{"email": "toeb@demo.example", "role": "viewer"})
	if res.Status != 201 || res.JSON()["account_created"] != false || res.JSON()["initial_password"] != nil {
		t.Fatalf("add existing: %d %s", res.Status, res.Body)
	}
	if res := c.do("PATCH", "/api/v1/organisations/"+grimma+"/members/"+id, map[string]string{"role": "moderator"}); res.Status != 204 {
		t.Fatalf("change role: %d %s", res.Status, res.Body)
	}
	if got := memberEmails(t, c, grimma)["neue.kollegin@grimma.example"]; got != "moderator" {
		t.Fatalf("role after change: %s", got)
	}
	wantProblem(t, c.do("PATCH", "/api/v1/organisations/"+grimma+"/members/"+id, map[string]string{"role": "boss"}), 422, "validation")
	if res := c.do("DELETE", "/api/v1/organisations/"+grimma+"/members/"+id, nil); res.Status != 204 {
		t.Fatalf("remove: %d %s", res.Status, res.Body)
	}
	wantProblem(t, c.do("DELETE", "/api/v1/organisations/"+grimma+"/members/"+id, nil), 404, "not_found")
	// The last org admin cannot leave the organisation without one.
	self := accountID(t, c, grimma, "grimma-admin@demo.example")
	wantProblem(t, c.do("PATCH", "/api/v1/organisations/"+grimma+"/members/"+self, map[string]string{"role": "viewer"}), 409, "conflict")
	wantProblem(t, c.do("DELETE", "/api/v1/organisations/"+grimma+"/members/"+self, nil), 409, "conflict")
}

func TestInstanceAdminManagesOrganisations(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	c.login("admin@demo.example")
	district := c.orgID("Mittelsachsen")
	res := c.do("POST", "/api/v1/organisations", map[string]any{
		"parent_id": district, "name": "Stadt Roßwein", "kind": "municipality", "ags": "14522490",
		"contact": map[string]string{"email": "info@rosswein.example"}})
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	created := res.JSON()
	id := created["id"].(string)
	if res.Header.Get("Location") != "/api/v1/organisations/"+id || created["parent_id"] != district {
		t.Fatalf("created: %v, Location %q", created, res.Header.Get("Location"))
	}
	p := wantProblem(t, c.do("POST", "/api/v1/organisations", map[string]any{
		"parent_id": district, "name": "Doppelt", "kind": "municipality", "ags": "14522490"}), 409, "conflict")
	if p["detail"] != "Dieser Amtliche Gemeindeschlüssel ist bereits einer anderen Stelle zugeordnet." {
		t.Fatalf("detail: %v", p["detail"])
	}
	wantProblem(t, c.do("POST", "/api/v1/organisations", map[string]any{
		"parent_id": district, "name": "Falsch", "kind": "municipality", "ags": "14729999"}), 422, "validation")
	wantProblem(t, c.do("POST", "/api/v1/organisations", map[string]any{
		"name": "Ohne Schlüssel", "kind": "municipality"}), 422, "validation")
	wantProblem(t, c.do("POST", "/api/v1/organisations", map[string]any{
		"parent_id": "01a207ab-c931-743c-abf1-b74570050ec4", "name": "Waise", "kind": "authority"}), 422, "validation")
	res = c.do("PUT", "/api/v1/organisations/"+id, map[string]any{
		"parent_id": district, "name": "Stadt Roßwein an der Mulde", "kind": "municipality", "ags": "14522490"})
	if res.Status != 200 || res.JSON()["name"] != "Stadt Roßwein an der Mulde" {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	// A district with municipalities cannot be deleted; the new town can.
	wantProblem(t, c.do("DELETE", "/api/v1/organisations/"+district, nil), 409, "conflict")
	// Nor moved below its own municipality.
	wantProblem(t, c.do("PUT", "/api/v1/organisations/"+district, map[string]any{
		"parent_id": id, "name": "Landkreis Mittelsachsen", "kind": "authority"}), 422, "validation")
	if res := c.do("DELETE", "/api/v1/organisations/"+id, nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	wantProblem(t, c.do("GET", "/api/v1/organisations/"+id, nil), 404, "not_found")
}

func TestAuditTrailRecordsStaffActions(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	org := admin.orgID("Freiberg")
	res := admin.do("POST", "/api/v1/organisations/"+org+"/members", map[string]string{"email": "audit@demo.example", "display_name": "A", "role": "viewer"}, "X-Request-ID", "req-audit-0001")
	if res.Status != 201 {
		t.Fatalf("add: %d", res.Status)
	}
	if res.Header.Get("X-Request-ID") != "req-audit-0001" {
		t.Fatalf("request id not echoed: %q", res.Header.Get("X-Request-ID"))
	}
	trail := admin.do("GET", "/api/v1/organisations/"+org+"/audit?limit=5", nil)
	var body struct {
		Items []struct {
			Action         string         `json:"action"`
			ActorEmail     string         `json:"actor_email"`
			ActorID        *string        `json:"actor_id"`
			OrganisationID *string        `json:"organisation_id"`
			RequestID      string         `json:"request_id"`
			ObjectType     string         `json:"object_type"`
			Details        map[string]any `json:"details"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(trail.Body, &body); err != nil || len(body.Items) < 2 {
		t.Fatalf("trail: %s", trail.Body)
	}
	add, create := body.Items[0], body.Items[1]
	if add.Action != "member.add" || create.Action != "account.create" {
		t.Fatalf("actions: got %s, %s", add.Action, create.Action)
	}
	for _, e := range body.Items[:2] {
		if e.ActorEmail != "freiberg-admin@demo.example" || e.ActorID == nil || e.OrganisationID == nil || *e.OrganisationID != org || e.RequestID != "req-audit-0001" {
			t.Fatalf("entry: %+v", e)
		}
	}
	if add.Details["role"] != "viewer" {
		t.Fatalf("details: %v", add.Details)
	}
	// Paging walks backwards without repeating entries.
	if body.NextCursor == "" {
		t.Fatal("no next cursor on a full page")
	}
	next := admin.do("GET", "/api/v1/organisations/"+org+"/audit?limit=5&cursor="+body.NextCursor, nil)
	if next.Status != 200 {
		t.Fatalf("next page: %d", next.Status)
	}
	wantProblem(t, admin.do("GET", "/api/v1/organisations/"+org+"/audit?limit=0", nil), 422, "validation")
	wantProblem(t, admin.do("GET", "/api/v1/organisations/"+org+"/audit?cursor=abc", nil), 422, "validation")

	// The instance admin sees everything, including logins.
	root := srv.client(t)
	root.login("admin@demo.example")
	all := root.do("GET", "/api/v1/audit?limit=200", nil)
	if all.Status != 200 {
		t.Fatalf("instance trail: %d", all.Status)
	}
	var everything struct {
		Items []struct{ Action string } `json:"items"`
	}
	_ = json.Unmarshal(all.Body, &everything)
	seen := map[string]bool{}
	for _, e := range everything.Items {
		seen[e.Action] = true
	}
	for _, want := range []string{"auth.login", "member.add", "organisation.create", "account.create"} {
		if !seen[want] {
			t.Errorf("instance trail lacks %s", want)
		}
	}
}
