package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	appaccount "beteiligungsportal/app/account"
	appdefect "beteiligungsportal/app/defect"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/geo"
)

// demoDefectCategories are the Döbeln Mängelmelder's categories.
var demoDefectCategories = []defect.CategoryInput{
	{Code: "schlagloch", Name: "Schlagloch oder Straßenschaden", Description: "Löcher, Risse und Absenkungen in Fahrbahn oder Gehweg.", Group: "Straße und Verkehr", Unit: "Tiefbauamt", Keywords: "Loch, Straße, Gehweg, Radweg", Active: true, Position: 1},
	{Code: "strassenbeleuchtung", Name: "Straßenbeleuchtung defekt", Description: "Dunkle, flackernde oder tagsüber brennende Straßenlampen.", Group: "Straße und Verkehr", Unit: "Stadtwerke", Keywords: "Lampe, Laterne, Licht", Active: true, Position: 2},
	{Code: "wilder-muell", Name: "Wilder Müll", Description: "Illegal abgeladener Müll und Sperrmüll.", Group: "Sauberkeit", Unit: "Ordnungsamt", Keywords: "Müll, Sperrmüll, Abfall", Active: true, Position: 3},
	{Code: "spielplatz", Name: "Spielplatz beschädigt", Description: "Defekte Spielgeräte, Scherben, beschädigte Zäune.", Group: "Grün und Spiel", Unit: "Grünflächenamt", Keywords: "Schaukel, Rutsche, Sandkasten", Active: true, Position: 4},
}

// seedDefects gives the Döbeln Mängelmelder its categories and two reports,
// one of them answered, unless it has categories already.
func seedDefects(ctx context.Context, svc services, orgs map[string]uuid.UUID) (int, error) {
	const slug = "maengelmelder-doebeln"
	as := account.Principal{Account: appaccount.SystemPrincipal.Account,
		Memberships: []account.Membership{{OrganisationID: orgs["doebeln"], Role: account.RoleEditor}}}
	_, existing, err := svc.defects.Categories(ctx, &as, slug)
	if err != nil || len(existing) > 0 {
		return 0, err
	}
	codes := map[string]uuid.UUID{}
	for _, in := range demoDefectCategories {
		c, err := svc.defects.SaveCategory(ctx, as, slug, uuid.Nil, in)
		if err != nil {
			return 0, fmt.Errorf("category %s: %s", in.Code, describe(err))
		}
		codes[c.Code] = c.ID
	}
	reports := []struct {
		cat, text, address string
		lon, lat           float64
		answer             string
	}{
		{"schlagloch", "Tiefes Schlagloch in der Bahnhofstraße vor der Bushaltestelle.", "Bahnhofstraße 12, 04720 Döbeln", 13.118, 51.121, ""},
		{"strassenbeleuchtung", "Die Straßenlampe am Obermarkt bleibt nachts dunkel.", "Obermarkt, 04720 Döbeln", 13.121, 51.119, "Das Leuchtmittel wurde getauscht."},
	}
	for _, r := range reports {
		pt := geo.Point{Lon: r.lon, Lat: r.lat}
		rec, err := svc.defects.Submit(ctx, nil, slug, appdefect.Submission{Input: defect.Input{CategoryID: codes[r.cat], Description: r.text, Address: r.address, Location: &pt}})
		if err != nil {
			return 0, fmt.Errorf("report: %s", describe(err))
		}
		if r.answer == "" {
			continue
		}
		for _, ch := range []defect.Change{{To: defect.StatusAcknowledged}, {To: defect.StatusResolved, PublicComment: r.answer}} {
			if _, err := svc.defects.Change(ctx, as, rec.Report.PublicID, ch, ""); err != nil {
				return 0, fmt.Errorf("report status: %s", describe(err))
			}
		}
	}
	return len(demoDefectCategories) + len(reports), nil
}
