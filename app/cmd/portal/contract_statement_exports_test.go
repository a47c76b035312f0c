package main

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"

	"beteiligungsportal/web/handler"
)

// contractStatementExports drives the three formats of the assessment table
// into their documented answers: staff of the owning organisation export with
// every filter and with pseudonyms, viewers get pseudonyms, strangers and bad
// parameters are refused, and a PDF of more statements than it may hold is
// refused. It has an environment of its own for its clock.
func contractStatementExports(k *contract) {
	t := k.t
	for _, mt := range []string{"text/csv", "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	anon, ed, viewer, grimma, admin := srv.client(t), srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "freiberg-editor@demo.example")
	k.login(viewer, "freiberg-viewer@demo.example")
	k.login(grimma, "grimma-admin@demo.example")
	k.login(admin, "admin@demo.example")

	path, public, _ := statementPlan(t, ed)
	draft := newDraftPlan(t, ed, "2026-12-01", "2026-12-31")
	missing := "/api/v1/procedures/" + uuid.NewString()
	clock.Set("2026-10-05 14:00:00")
	mustStatus(t, anon.do("POST", path+"/statements", citizen("Die Lindenallee braucht einen sicheren Radweg.")), 201, "statement")
	gone := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", citizen("Ziehe ich zurück.")), 201, "statement to withdraw"))
	mustStatus(t, anon.do("POST", "/api/v1/receipts/withdraw", map[string]string{"number": gone.Number, "token": gone.Token}), 200, "withdraw")
	clock.Set("2026-11-03 10:00:00")

	every := "?phase=" + public + "&status=received&submitter_kind=citizen&channel=online&has_attachments=false" +
		"&timely=true&withdrawn=false&topic=Radweg&q=radweg&pseudonymise=false"
	type c = call
	for _, format := range []string{"csv", "xlsx", "pdf"} {
		name := "statement export as " + strings.ToUpper(format)
		export := "/statements/export." + format
		res := k.check(c{name: name, c: ed, method: "GET", path: path + export, status: 200})
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="abwaegungstabelle-`) {
			t.Errorf("%s: Content-Disposition %q", name, cd)
		}
		if strings.Contains(format, "csv") && !strings.Contains(string(res.Body), "Erika Mustermann") {
			t.Errorf("%s: staff do not see names: %s", name, res.Body)
		}
		k.check(c{name: name + " with every filter", c: ed, method: "GET", path: path + export + every, status: 200})
		pseud := k.check(c{name: name + " with pseudonyms", c: ed, method: "GET", path: path + export + "?pseudonymise=true&withdrawn=true", status: 200})
		forViewer := k.check(c{name: name + " for a viewer", c: viewer, method: "GET", path: path + export, status: 200})
		if format == "csv" && (strings.Contains(string(pseud.Body), "Erika") || strings.Contains(string(forViewer.Body), "Erika")) {
			t.Errorf("%s: names despite pseudonyms", name)
		}
		k.check(c{name: name + " without session", c: anon, method: "GET", path: path + export, status: 401, slug: "unauthenticated"})
		k.check(c{name: name + " by another municipality", c: grimma, method: "GET", path: path + export, status: 403, slug: "forbidden"})
		k.check(c{name: name + " for an instance admin", c: admin, method: "GET", path: path + export, status: 403, slug: "forbidden"})
		k.check(c{name: name + " of another municipality's draft", c: grimma, method: "GET", path: draft + export, status: 404, slug: "not_found"})
		k.check(c{name: name + " of an unknown procedure", c: ed, method: "GET", path: missing + export, status: 404, slug: "not_found"})
		k.check(c{name: name + " by slug", c: ed, method: "GET", path: "/api/v1/procedures/bebauungsplan" + export,
			status: 404, slug: "not_found", refused: true})
		k.check(c{name: name + " with bad parameters", c: ed, method: "GET", status: 422, slug: "validation", refused: true,
			path: path + export + "?phase=x&status=done&submitter_kind=robot&channel=pigeon&timely=maybe&pseudonymise=ja"})
		k.check(c{name: name + " with a long topic", c: ed, method: "GET", path: path + export + "?topic=" + strings.Repeat("a", 101),
			status: 422, slug: "validation", refused: true})
	}

	// More statements than a PDF may hold: refused with advice, nothing sent.
	fillStatements(t, env.cfg.DatabaseURL, strings.TrimPrefix(path, "/api/v1/procedures/"), public, handler.MaxPDFRows)
	p := k.check(c{name: "statement export as PDF, too large", c: ed, method: "GET", path: path + "/statements/export.pdf",
		status: 422, slug: "validation"}).JSON()
	if !strings.Contains(str(p["detail"]), "5.000") {
		t.Errorf("PDF too large: %v", p["detail"])
	}
}
