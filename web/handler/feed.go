package handler

import (
	"encoding/xml"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	appproc "beteiligungsportal/app/procedure"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Feeds serves the catalogue as Atom feeds and as a GeoJSON map layer.
type Feeds struct {
	Procedures *Procedures
	BaseURL    *url.URL
	// Title names the instance in feed titles, e.g. "Beteiligungsportal".
	Title string
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary"`
	Category  []atomCat  `xml:"category"`
}

type atomCat struct {
	Term string `xml:"term,attr"`
}

const feedSize = 50

// InstanceAtom lists the newest published procedures of the whole instance.
func (h *Feeds) InstanceAtom(c *fiber.Ctx) error {
	return h.atom(c, uuid.Nil, "procedures", "/api/v1/procedures.atom")
}

// OrganisationAtom lists the newest published procedures of one organisation and
// its sub-organisations.
func (h *Feeds) OrganisationAtom(c *fiber.Ctx) error {
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	return h.atom(c, id, "organisations/"+id.String()+"/procedures", "/api/v1/organisations/"+id.String()+"/procedures.atom")
}

// feedID is the feed's permanent atom:id (RFC 4287 4.2.6): a name-based UUID
// (version 5) of the host name in the instance's base URL and the feed's scope.
// Readers recognise a feed by its id, so it must not change when the instance
// moves to another port, from http to https, or to a new API version, and it
// must be the same on every instance behind a load balancer. A tag URI would
// also need a date on which the instance owned its host name, which no
// constant in the code can know for every state that runs it.
func (h *Feeds) feedID(scope string) string {
	host := strings.TrimSuffix(strings.ToLower(h.BaseURL.Hostname()), ".")
	instance := uuid.NewSHA1(uuid.NameSpaceDNS, []byte(host))
	return "urn:uuid:" + uuid.NewSHA1(instance, []byte(scope)).String()
}

// atom renders the feed of orgID (uuid.Nil: the whole instance); scope names it
// for its id, self is its path.
func (h *Feeds) atom(c *fiber.Ctx, orgID uuid.UUID, scope, self string) error {
	page, err := h.Procedures.Service.Search(c.UserContext(), procedure.Filter{OrganisationID: orgID, Sort: procedure.SortNewest, Limit: feedSize})
	if err != nil {
		return err
	}
	feed := atomFeed{
		ID:      h.feedID(scope),
		Title:   h.Title + ": neue Beteiligungsverfahren",
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links:   []atomLink{{Rel: "self", Type: "application/atom+xml", Href: h.abs(self)}},
		Author:  atomAuthor{Name: h.Title},
	}
	for i, p := range page.Items {
		if i == 0 {
			feed.Updated = p.PublishedAt.UTC().Format(time.RFC3339)
		}
		feed.Entries = append(feed.Entries, atomEntry{
			// The procedure's own ID: the same entry in every feed and on every
			// instance, whatever its slug or the instance's address.
			ID:        "urn:uuid:" + p.ID.String(),
			Title:     p.Title,
			Updated:   p.UpdatedAt.UTC().Format(time.RFC3339),
			Published: p.PublishedAt.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Rel: "alternate", Type: "application/json", Href: h.abs("/api/v1/procedures/" + p.Slug)}},
			Summary:   p.Summary,
			Category:  []atomCat{{Term: string(p.Type)}, {Term: string(p.Subtype)}},
		})
	}
	body, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	middleware.MarkPublic(c)
	return c.Send(append([]byte(xml.Header), body...))
}

func (h *Feeds) abs(path string) string {
	u := *h.BaseURL
	u.Path = path
	return u.String()
}

type geoFeature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Geometry   any            `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geoCollection struct {
	Type       string       `json:"type"`
	Features   []geoFeature `json:"features"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// GeoJSON serves the catalogue as a FeatureCollection for a map, with the same
// filters as the list. Procedures without an area have a null geometry.
func (h *Feeds) GeoJSON(c *fiber.Ctx) error {
	// The map wants everything in view: larger pages than the list.
	f, err := parseFilter(c, appproc.MaxMapPage)
	if err != nil {
		return err
	}
	page, err := h.Procedures.Service.SearchMap(c.UserContext(), f)
	if err != nil {
		return err
	}
	now := h.Procedures.Service.Now()
	out := geoCollection{Type: "FeatureCollection", Features: make([]geoFeature, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, p := range page.Items {
		var geom any
		if len(p.AreaGeoJSON) > 0 {
			geom = rawJSON(p.AreaGeoJSON)
		}
		props := map[string]any{
			"slug": p.Slug, "title": p.Title, "type": p.Type, "subtype": p.Subtype, "status": p.Status(now),
			"organisation_id": p.OrganisationID.String(), "next_deadline": optDate(p.NextDeadline(now)),
			"url": "/api/v1/procedures/" + p.Slug,
		}
		out.Features = append(out.Features, geoFeature{Type: "Feature", ID: p.ID.String(), Geometry: geom, Properties: props})
	}
	return publicJSONAs(c, out, "application/geo+json")
}
