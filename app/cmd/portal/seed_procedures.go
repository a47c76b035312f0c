package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	appaccount "beteiligungsportal/app/account"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
)

// demoPhase is a phase with days relative to today, so the demo always shows
// procedures in every status.
type demoPhase struct {
	kind       procedure.PhaseKind
	audience   procedure.Audience
	start, end int // days from today; end 0 with openEnd for no end
	openEnd    bool
	announced  int
	invite     []string // demo organisation keys
}

type demoProcedure struct {
	org    string
	slug   string
	typ    procedure.Type
	sub    procedure.Subtype
	title  string
	sum    string
	desc   string
	lon    float64 // centre of a small square area; 0 for none
	lat    float64
	phases []demoPhase
	// after publishing: "" leaves it to the schedule, "close", "conclude", "archive"; "draft" does not publish
	fate string
}

var demoProcedures = []demoProcedure{
	{"freiberg", "bebauungsplan-42-am-muehlgraben", procedure.TypeLandUsePlan, procedure.SubtypeBebauungsplan,
		"Bebauungsplan Nr. 42 „Wohngebiet Am Mühlgraben“", "Neues Wohngebiet mit rund 60 Wohneinheiten, Spielplatz und Grünzug am Mühlgraben.",
		"## Ziele der Planung\n\n* Wohnbauflächen für Familien\n* Erhalt des Grünzugs am Mühlgraben\n* Verkehrsberuhigte Erschließung",
		13.335, 50.915, []demoPhase{
			{kind: procedure.KindEarlyPublic, audience: procedure.AudiencePublic, start: -120, end: -100},
			{kind: procedure.KindEarlyAuthorities, audience: procedure.AudienceInvited, start: -120, end: -90, invite: []string{"zweckverband"}},
			{kind: procedure.KindPublication, audience: procedure.AudiencePublic, start: -10, end: 25, announced: -20},
			{kind: procedure.KindAuthorities, audience: procedure.AudienceInvited, start: -10, end: 25, invite: []string{"zweckverband"}},
		}, ""},
	{"freiberg", "flaechennutzungsplan-5-aenderung", procedure.TypeLandUsePlan, procedure.SubtypeFlaechennutzungsplan,
		"5. Änderung des Flächennutzungsplans „Gewerbegebiet Frauensteiner Straße“", "Erweiterung der gewerblichen Bauflächen an der Frauensteiner Straße.",
		"Die Änderung bereitet die Erweiterung des Gewerbegebiets vor.", 13.36, 50.90, []demoPhase{
			{kind: procedure.KindPublication, audience: procedure.AudiencePublic, start: 14, end: 50, announced: -3},
		}, ""},
	{"freiberg", "gehoelzschutzsatzung-freiberg", procedure.TypeStatute, procedure.SubtypeGehoelzschutzsatzung,
		"Gehölzschutzsatzung der Universitätsstadt Freiberg", "Neufassung der Satzung zum Schutz von Bäumen und Hecken im Stadtgebiet.",
		"Geschützt werden Laubbäume ab 30 cm Stammumfang.", 0, 0, []demoPhase{
			{kind: procedure.KindParticipation, audience: procedure.AudiencePublic, start: -60, end: -30},
		}, ""},
	{"freiberg", "haushaltssatzung-2027-freiberg", procedure.TypeStatute, procedure.SubtypeHaushaltssatzung,
		"Entwurf der Haushaltssatzung 2027", "Einwohnerinnen und Einwohner können Einwendungen gegen den Entwurf erheben (§ 76 SächsGemO).",
		"Der Entwurf liegt mit allen Anlagen zur Einsicht bereit.", 0, 0, []demoPhase{
			{kind: procedure.KindParticipation, audience: procedure.AudiencePublic, start: -3, end: 11},
		}, ""},
	{"doebeln", "vbp-solarpark-am-sandberg", procedure.TypeLandUsePlan, procedure.SubtypeVorhabenbezogenerBebauungsplan,
		"Vorhabenbezogener Bebauungsplan „Solarpark Am Sandberg“", "Freiflächen-Photovoltaikanlage mit 12 ha auf einer ehemaligen Deponie.",
		"Vorhabenträgerin ist die Stadtwerke Döbeln GmbH.", 13.10, 51.13, []demoPhase{
			{kind: procedure.KindPublication, audience: procedure.AudiencePublic, start: -5, end: 30, announced: -12},
			{kind: procedure.KindAuthorities, audience: procedure.AudienceInvited, start: -5, end: 30, invite: []string{"zweckverband"}},
		}, ""},
	{"doebeln", "maengelmelder-doebeln", procedure.TypeDefectReporting, procedure.SubtypeDefectReporting,
		"Mängelmelder Döbeln", "Melden Sie Schlaglöcher, defekte Straßenlampen, wilden Müll und beschädigte Spielgeräte.",
		"Die Stadtverwaltung beantwortet jede Meldung.", 13.12, 51.12, []demoPhase{
			{kind: procedure.KindParticipation, audience: procedure.AudiencePublic, start: -400, openEnd: true},
		}, ""},
	{"doebeln", "innenbereichssatzung-ziegra", procedure.TypeLandUsePlan, procedure.SubtypeInnenbereichssatzung,
		"Innenbereichssatzung Ziegra", "Klarstellung der Grenzen des im Zusammenhang bebauten Ortsteils Ziegra.",
		"", 13.05, 51.10, []demoPhase{
			{kind: procedure.KindEarlyPublic, audience: procedure.AudiencePublic, start: -20, end: 10},
		}, "close"},
	{"grimma", "umfrage-mobilitaet-grimma", procedure.TypeSurvey, procedure.SubtypeSurvey,
		"Umfrage zum Mobilitätskonzept Grimma 2035", "Wie sind Sie in Grimma unterwegs? Ihre Antworten fließen in das Mobilitätskonzept ein.",
		"", 12.725, 51.237, []demoPhase{
			{kind: procedure.KindParticipation, audience: procedure.AudiencePublic, start: -7, end: 21},
		}, ""},
	{"grimma", "dialog-zukunft-marktplatz", procedure.TypeDialog, procedure.SubtypeDialog,
		"Dialog „Zukunft Marktplatz“", "Wie soll der Marktplatz nach der Sanierung genutzt werden? Diskutieren Sie mit.",
		"", 12.726, 51.236, []demoPhase{
			{kind: procedure.KindParticipation, audience: procedure.AudiencePublic, start: -14, openEnd: true},
		}, ""},
	{"grimma", "aussenbereichssatzung-grosssteinberg", procedure.TypeLandUsePlan, procedure.SubtypeAussenbereichssatzung,
		"Außenbereichssatzung Großsteinberg", "Erleichterung von Wohnbauvorhaben im bebauten Außenbereich von Großsteinberg.",
		"", 12.62, 51.27, []demoPhase{
			{kind: procedure.KindEarlyPublic, audience: procedure.AudiencePublic, start: -200, end: -170},
		}, "conclude"},
	{"grimma", "bebauungsplan-schulcampus-grimma", procedure.TypeLandUsePlan, procedure.SubtypeBebauungsplan,
		"Bebauungsplan „Schulcampus Grimma-Süd“", "Neubau einer Oberschule mit Sporthalle.",
		"", 12.73, 51.22, []demoPhase{
			{kind: procedure.KindEarlyPublic, audience: procedure.AudiencePublic, start: 30, end: 60},
		}, "draft"},
	{"sn", "landesentwicklungsplan-2013-fortschreibung", procedure.TypeRegionalPlan, procedure.SubtypeLandesentwicklungsplan,
		"Fortschreibung des Landesentwicklungsplans Sachsen", "Zweites Beteiligungsverfahren zum Entwurf der Fortschreibung.",
		"", 0, 0, []demoPhase{
			{kind: procedure.KindPublication, audience: procedure.AudiencePublic, start: -400, end: -360},
		}, "archive"},
}

func square(lon, lat float64) []byte {
	const d = 0.01
	return fmt.Appendf(nil, `{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
		lon-d, lat-d, lon+d, lat-d, lon+d, lat+d, lon-d, lat+d, lon-d, lat-d)
}

// seedProcedures loads the demo procedures that are missing (by slug).
func seedProcedures(ctx context.Context, svc services, orgs map[string]uuid.UUID, now time.Time) (int, error) {
	today := procedure.Today(now)
	created := 0
	for _, d := range demoProcedures {
		orgID := orgs[d.org]
		// The shell acts as an editor of the organisation; the audit trail shows "system".
		as := account.Principal{Account: appaccount.SystemPrincipal.Account,
			Memberships: []account.Membership{{OrganisationID: orgID, Role: account.RoleEditor}}}
		if _, err := svc.procedures.Get(ctx, &as, d.slug); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			return created, err
		}
		in := procedure.Input{Type: d.typ, Subtype: d.sub, Slug: d.slug, Title: d.title, Summary: d.sum, Description: d.desc,
			Contact: procedure.Contact{Name: "Bürgerbüro", Email: "beteiligung@" + d.org + ".example"}}
		if d.lon != 0 {
			in.AreaGeoJSON = square(d.lon, d.lat)
		}
		p, err := svc.procedures.Create(ctx, as, orgID, in)
		if err != nil {
			return created, fmt.Errorf("%s: %s", d.slug, describe(err))
		}
		for _, dp := range d.phases {
			ph := procedure.Phase{Kind: dp.kind, Audience: dp.audience,
				Period: procedure.Period{Start: today.AddDays(dp.start)}}
			if !dp.openEnd {
				ph.Period.End = today.AddDays(dp.end)
			}
			if dp.announced != 0 {
				ph.AnnouncedOn = today.AddDays(dp.announced)
			}
			for _, key := range dp.invite {
				ph.InvitedBodies = append(ph.InvitedBodies, orgs[key])
			}
			if _, _, err := svc.procedures.SetPhase(ctx, as, p.ID, procedure.PhaseInput{Phase: ph}); err != nil {
				return created, fmt.Errorf("%s phase: %s", d.slug, describe(err))
			}
		}
		if err := seedDocuments(ctx, svc, as, p, procedure.DocumentMaterial, demoMaterial(d)); err != nil {
			return created, err
		}
		created++
		if d.fate == "draft" {
			continue
		}
		if _, err := svc.procedures.Publish(ctx, as, p.ID); err != nil {
			return created, fmt.Errorf("%s publish: %s", d.slug, describe(err))
		}
		var ferr error
		switch d.fate {
		case "close":
			_, ferr = svc.procedures.CloseEarly(ctx, as, p.ID, "Die Planung wird nach Hinweisen aus der frühzeitigen Beteiligung überarbeitet.")
		case "conclude", "archive":
			_, ferr = svc.procedures.Conclude(ctx, as, p.ID, "Der Stadtrat hat die Satzung beschlossen; sie ist mit der Bekanntmachung in Kraft getreten.")
			if ferr == nil {
				ferr = seedDocuments(ctx, svc, as, p, procedure.DocumentResult, demoResult(d))
			}
			if ferr == nil && d.fate == "archive" {
				_, ferr = svc.procedures.Archive(ctx, as, p.ID)
			}
		}
		if ferr != nil {
			return created, fmt.Errorf("%s %s: %s", d.slug, d.fate, describe(ferr))
		}
	}
	return created, nil
}
