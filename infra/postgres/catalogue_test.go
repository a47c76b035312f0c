package postgres_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// catalogueNow is the instant the catalogue tests derive statuses for.
var catalogueNow = time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)

// fillCatalogue stores a few hundred procedures with ties in publication time
// and deadline, every status, several schedules, places and words to rank.
func fillCatalogue(t *testing.T, repo *postgres.Procedures, parent, child uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	day := procedure.DateOf(catalogueNow)
	titles := []string{"Bebauungsplan Am Mühlgraben", "Gehölzschutzsatzung Hauptstraße", "Satzung über Straßenreinigung",
		"Umfrage Radverkehr", "Dialog zum Marktplatz", "Bebauungsplan Gewerbegebiet Nord"}
	summaries := []string{"Entwurf zur Beteiligung", "Wohnen am Mühlgraben", "Bebauung an der Bahnhofstraße"}
	types := []struct {
		t procedure.Type
		s procedure.Subtype
	}{
		{procedure.TypeLandUsePlan, procedure.SubtypeBebauungsplan},
		{procedure.TypeStatute, procedure.SubtypeGehoelzschutzsatzung},
		{procedure.TypeSurvey, procedure.SubtypeSurvey},
		{procedure.TypeDialog, procedure.SubtypeDialog},
	}
	period := func(from, to int) procedure.Period {
		p := procedure.Period{Start: day.AddDays(from)}
		if to != 0 {
			p.End = day.AddDays(to)
		}
		return p
	}
	schedules := [][]procedure.Period{
		nil,                               // announced, without phases
		{period(-30, -5)},                 // over
		{period(-5, 10)},                  // running
		{period(-5, 10)},                  // the same end: ties
		{period(3, 20)},                   // to come
		{period(-40, -20), period(5, 25)}, // between two phases
		{period(-2, 0)},                   // running, open-ended
		{period(-20, 10), period(12, 30)},
		{period(-3, 14), period(-3, 14)}, // public and bodies in parallel, one end
	}
	for i := range 240 {
		ty := types[i%len(types)]
		p := procedure.Procedure{
			ID: uuid.New(), OrganisationID: []uuid.UUID{parent, child}[i%2], Slug: fmt.Sprintf("katalog-%d", i),
			Type: ty.t, Subtype: ty.s, Title: fmt.Sprintf("%s %d", titles[i%len(titles)], i),
			Summary: summaries[i%len(summaries)], Description: []string{"", "Mühlgraben", "Straße"}[i%3],
			AGS:       []string{"14522180", "14522080", "14729160"}[i%3],
			CreatedAt: catalogueNow, UpdatedAt: catalogueNow, Version: 1,
			// three procedures share each publication time
			PublishedAt: catalogueNow.Add(-time.Duration(i/3) * time.Hour),
		}
		if i%5 == 0 {
			lon, lat := 13.0+float64(i%7)*0.1, 50.5+float64(i%4)*0.1
			p.AreaGeoJSON = fmt.Appendf(nil, `{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
				lon, lat, lon+0.05, lat, lon+0.05, lat+0.05, lon, lat+0.05, lon, lat)
		}
		for _, per := range schedules[i%len(schedules)] {
			p.Phases = append(p.Phases, procedure.Phase{ID: uuid.New(), Kind: procedure.KindParticipation,
				Audience: procedure.AudiencePublic, Period: per})
		}
		switch {
		case i%23 == 0:
			p.PublishedAt = time.Time{} // a draft never shows
		case i%19 == 0:
			p.ArchivedAt, p.ConcludedAt = catalogueNow.Add(-time.Hour), catalogueNow.Add(-48*time.Hour)
		case i%13 == 0:
			p.ConcludedAt = catalogueNow.Add(-time.Hour)
		case i%11 == 0:
			p.ClosedAt = catalogueNow.Add(-2 * time.Hour)
		}
		if err := repo.Insert(ctx, p); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
}

// Every order pages through exactly the matches of its filter, each once and in
// order, whether a page is found by walking the sort order or, for rare
// matches, by sorting all of them.
func TestCataloguePagesMatchAReferenceOrder(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	parent, child := uuid.New(), uuid.New()
	if _, err := db.ExecContext(ctx, `INSERT INTO organisations (id, parent_id, name, kind, ags) VALUES
		(?, NULL, 'Landkreis', 'district', '14522000'), (?, ?, 'Stadt', 'municipality', '14522180')`,
		parent, child, parent); err != nil {
		t.Fatal(err)
	}
	repo := postgres.NewProcedures(db)
	fillCatalogue(t, repo, parent, child)

	filters := map[string]procedure.Filter{
		"all":        {},
		"type":       {Types: []procedure.Type{procedure.TypeStatute, procedure.TypeDialog}},
		"open":       {OpenNow: true},
		"status":     {Statuses: []procedure.Status{procedure.StatusAnnounced, procedure.StatusEvaluation}},
		"concluded":  {Statuses: []procedure.Status{procedure.StatusConcluded}},
		"archived":   {Statuses: []procedure.Status{procedure.StatusArchived}},
		"sub-orgs":   {OrganisationID: parent},
		"org":        {OrganisationID: child},
		"district":   {AGS: "14522000"},
		"bbox":       {BBox: &geo.BBox{MinLon: 13.2, MinLat: 50.55, MaxLon: 13.45, MaxLat: 50.7}},
		"word":       {Text: "mühlgraben"},
		"compound":   {Text: "strasse"},
		"prefix":     {Text: "bebauung"},
		"stop word":  {Text: "am Mühlgraben"},
		"two words":  {Text: "satzung hauptstrasse"},
		"no match":   {Text: "zzzz"},
		"rare":       {Text: "mühlgraben", Types: []procedure.Type{procedure.TypeSurvey}, OpenNow: true},
		"rare place": {Text: "strasse", AGS: "14729160", Statuses: []procedure.Status{procedure.StatusAnnounced}},
	}
	sorts := []procedure.Sort{procedure.SortNewest, procedure.SortDeadline, procedure.SortRelevance}
	check := func(t *testing.T, f procedure.Filter) {
		t.Helper()
		f.Now = catalogueNow
		want, err := repo.CatalogueReference(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := pageThrough(t, repo, f, len(want)); !slices.Equal(got, want) {
			t.Fatalf("paged %d items, want %d in the reference order\ngot  %v\nwant %v", len(got), len(want), got, want)
		}
	}
	for _, budget := range []int{0, 3} {
		if budget > 0 {
			t.Cleanup(postgres.SetWalkBudget(budget))
		}
		for name, f := range filters {
			for _, sort := range sorts {
				for _, limit := range []int{1, 4, 25} {
					f.Sort, f.Limit = sort, limit
					t.Run(fmt.Sprintf("budget %d/%s/%s/%d", budget, name, sort, limit), func(t *testing.T) { check(t, f) })
				}
			}
		}
	}
	if ids, _ := repo.CatalogueReference(ctx, procedure.Filter{Text: "strasse", Sort: procedure.SortRelevance, Now: catalogueNow}); len(ids) < 50 {
		t.Fatalf("the data should give the compound search many matches, got %d", len(ids))
	}
}

// pageThrough follows the cursors of a search to its end and returns the ids
// in the order of the pages; more than want+1 pages is an endless loop.
func pageThrough(t *testing.T, repo *postgres.Procedures, f procedure.Filter, want int) []uuid.UUID {
	t.Helper()
	var got []uuid.UUID
	for pages := 0; ; pages++ {
		if pages > want+1 {
			t.Fatalf("does not end after %d pages", pages)
		}
		page, err := repo.Search(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > f.Limit {
			t.Fatalf("page of %d, limit %d", len(page.Items), f.Limit)
		}
		for _, p := range page.Items {
			got = append(got, p.ID)
		}
		if page.NextCursor == "" {
			return got
		}
		f.Cursor = page.NextCursor
	}
}

// A search word that the full-text index drops as a stop word ("zur") is still
// required, through the folded text, when the better tiers are looked up
// beyond the rows walked (the full-text index alone finds those tiers).
func TestCatalogueKeepsStopWordsBeyondTheWalk(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	org := uuid.New()
	if _, err := db.ExecContext(ctx, `INSERT INTO organisations (id, name, kind, ags) VALUES (?, 'Stadt', 'municipality', '14522180')`, org); err != nil {
		t.Fatal(err)
	}
	repo := postgres.NewProcedures(db)
	insert := func(i int, title, summary string) uuid.UUID {
		p := procedure.Procedure{ID: uuid.New(), OrganisationID: org, Slug: fmt.Sprintf("stopp-%d", i),
			Type: procedure.TypeStatute, Subtype: procedure.SubtypeGehoelzschutzsatzung, Title: title, Summary: summary,
			AGS: "14522180", CreatedAt: catalogueNow, UpdatedAt: catalogueNow, Version: 1,
			PublishedAt: catalogueNow.Add(-time.Duration(i) * time.Hour)}
		if err := repo.Insert(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	// The newest fill the walk with matches found only in the folded text.
	var spelled []uuid.UUID
	for i := range 4 {
		spelled = append(spelled, insert(i, fmt.Sprintf("Gehölzschutz Hauptstraße %d", i), "Hinweise zur Beteiligung"))
	}
	insert(10, "Straße am Markt", "Entwurf") // has no "zur"
	title := insert(11, "Straße zur Mühle", "Entwurf")
	t.Cleanup(postgres.SetWalkBudget(3))
	f := procedure.Filter{Text: "zur strasse", Sort: procedure.SortRelevance, Limit: 1, Now: catalogueNow}
	want := append([]uuid.UUID{title}, spelled...)
	if ref, err := repo.CatalogueReference(ctx, f); err != nil || !slices.Equal(ref, want) {
		t.Fatalf("reference %v (%v), want %v", ref, err, want)
	}
	if got := pageThrough(t, repo, f, len(want)); !slices.Equal(got, want) {
		t.Fatalf("paged %v, want %v", got, want)
	}
}

// Cursors of the former relevance order (a score, no time), with an unknown tier
// or of another order are refused, not misread.
func TestCatalogueRefusesForeignCursors(t *testing.T) {
	repo := postgres.NewProcedures(testenv.DB(t))
	id := uuid.New()
	for _, raw := range []string{
		`{"s":"relevance","r":0.42,"i":"` + id.String() + `"}`,
		`{"s":"relevance","r":7,"t":"2026-06-01T00:00:00Z","i":"` + id.String() + `"}`,
		`{"s":"newest","t":"2026-06-01T00:00:00Z","i":"` + id.String() + `"}`,
	} {
		c := base64.RawURLEncoding.EncodeToString([]byte(raw))
		_, err := repo.Search(context.Background(), procedure.Filter{Text: "plan", Sort: procedure.SortRelevance, Cursor: c, Limit: 5, Now: catalogueNow})
		if err != postgres.ErrBadCursor {
			t.Errorf("cursor %s: got %v, want ErrBadCursor", raw, err)
		}
	}
}
