package dialog

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
)

var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func fields(err error) []string {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestInputValidate(t *testing.T) {
	topic := uuid.Must(uuid.NewV7())
	set := &Settings{Topics: []Topic{{ID: topic, Name: "Verkehr"}}}
	area, err := geo.ParseArea([]byte(`{"type":"Polygon","coordinates":[[[13,50],[14,50],[14,51],[13,51],[13,50]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	inside, outside := geo.Point{Lon: 13.5, Lat: 50.5}, geo.Point{Lon: 12, Lat: 50.5}
	tests := []struct {
		name  string
		reply bool
		in    Input
		want  []string
	}{
		{"thread", false, Input{Title: "Bänke", Body: "Mehr Bänke, bitte."}, nil},
		{"thread with topic and place", false, Input{Title: "Bänke", Body: "Mehr Bänke, bitte.", TopicID: topic, Location: &inside}, nil},
		{"no title", false, Input{Body: "Mehr Bänke, bitte."}, []string{"title"}},
		{"title too short", false, Input{Title: "ab", Body: "Mehr Bänke, bitte."}, []string{"title"}},
		{"title of 150 umlauts", false, Input{Title: strings.Repeat("ä", 150), Body: "Mehr Bänke, bitte."}, nil},
		{"title of 151", false, Input{Title: strings.Repeat("a", 151), Body: "Mehr Bänke, bitte."}, []string{"title"}},
		{"body too short", false, Input{Title: "Bänke", Body: "Bänke"}, []string{"body"}},
		{"body of 5000", false, Input{Title: "Bänke", Body: strings.Repeat("ü", 5000)}, nil},
		{"body of 5001", false, Input{Title: "Bänke", Body: strings.Repeat("ü", 5001)}, []string{"body"}},
		{"three links", false, Input{Title: "Links", Body: "https://a.de http://b.de www.c.de"}, nil},
		{"four links", false, Input{Title: "Links", Body: "https://a.de http://b.de www.c.de HTTPS://D.DE"}, []string{"body"}},
		{"unknown topic", false, Input{Title: "Bänke", Body: "Mehr Bänke, bitte.", TopicID: uuid.Must(uuid.NewV7())}, []string{"topic_id"}},
		{"outside the area", false, Input{Title: "Bänke", Body: "Mehr Bänke, bitte.", Location: &outside}, []string{"location"}},
		{"NUL", false, Input{Title: "Bänke", Body: "Mehr\x00Bänke, bitte."}, []string{"body"}},
		{"invalid UTF-8", false, Input{Title: "B\xffnke", Body: "Mehr Bänke, bitte."}, []string{"title"}},
		{"reply", true, Input{Body: "Ja!"}, nil},
		{"reply too short", true, Input{Body: "J"}, []string{"body"}},
		{"reply with title", true, Input{Title: "Titel", Body: "Ja, genau."}, []string{"title"}},
		{"reply with topic", true, Input{Body: "Ja, genau.", TopicID: topic}, []string{"topic_id"}},
		{"everything wrong", false, Input{Body: ""}, []string{"title", "body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fields(tt.in.Validate(tt.reply, area, set))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRepliesAreBoundedByDepthAndClosing(t *testing.T) {
	root := Contribution{ID: uuid.Must(uuid.NewV7()), State: StatePublished}
	root.RootID = root.ID
	parent := root
	for depth := 1; depth <= MaxDepth; depth++ {
		c, err := NewContribution(uuid.Nil, &parent, &root, uuid.Nil, Input{Body: "Antwort"}, ModerationPost, now)
		if err != nil || c.Depth != depth || c.RootID != root.ID || c.ParentID != parent.ID {
			t.Fatalf("depth %d: %+v, %v", depth, c, err)
		}
		parent = c
	}
	if _, err := NewContribution(uuid.Nil, &parent, &root, uuid.Nil, Input{Body: "Antwort"}, ModerationPost, now); fields(err)[0] != "parent_id" {
		t.Fatalf("fourth level: %v", err)
	}
	closed := root
	closed.ClosedAt = now
	if _, err := NewContribution(uuid.Nil, &closed, &closed, uuid.Nil, Input{Body: "Antwort"}, ModerationPost, now); !errors.Is(err, ErrThreadClosed) {
		t.Fatalf("closed thread: %v", err)
	}
	hidden := root
	hidden.State = StateHidden
	if _, err := NewContribution(uuid.Nil, &hidden, &root, uuid.Nil, Input{Body: "Antwort"}, ModerationPost, now); !errors.Is(err, ErrNotPublished) {
		t.Fatalf("reply to hidden: %v", err)
	}
	pre, _ := NewContribution(uuid.Nil, nil, nil, uuid.Nil, Input{Title: "T", Body: "x"}, ModerationPre, now)
	if pre.State != StatePending || pre.RootID != pre.ID {
		t.Fatalf("pre-moderated thread: %+v", pre)
	}
}

func TestModerationTransitions(t *testing.T) {
	tests := []struct {
		name   string
		state  State
		root   bool
		closed bool
		action Action
		reason string
		want   State
		err    error
	}{
		{"approve pending", StatePending, true, false, ActionApprove, "", StatePublished, nil},
		{"approve published", StatePublished, true, false, ActionApprove, "", "", ErrModeration},
		{"hide published", StatePublished, true, false, ActionHide, "Werbung", StateHidden, nil},
		{"hide pending", StatePending, true, false, ActionHide, "Werbung", StateHidden, nil},
		{"hide without reason", StatePublished, true, false, ActionHide, " ", "", domain.ErrInvalid},
		{"hide deleted", StateDeleted, true, false, ActionHide, "x", "", ErrModeration},
		{"restore hidden", StateHidden, true, false, ActionRestore, "", StatePublished, nil},
		{"restore published", StatePublished, true, false, ActionRestore, "", "", ErrModeration},
		{"mark a reply official", StatePublished, false, false, ActionOfficial, "", StatePublished, nil},
		{"mark a root official", StatePublished, true, false, ActionOfficial, "", "", ErrModeration},
		{"close a thread", StatePublished, true, false, ActionClose, "", StatePublished, nil},
		{"close twice", StatePublished, true, true, ActionClose, "", "", ErrModeration},
		{"close a reply", StatePublished, false, false, ActionClose, "", "", ErrModeration},
		{"reopen", StatePublished, true, true, ActionReopen, "", StatePublished, nil},
		{"reopen an open thread", StatePublished, true, false, ActionReopen, "", "", ErrModeration},
		{"unknown", StatePublished, true, false, "delete", "", "", domain.ErrInvalid},
		{"reason too long", StatePublished, true, false, ActionHide, strings.Repeat("x", MaxReason+1), "", domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Contribution{ID: uuid.Must(uuid.NewV7()), State: tt.state}
			if !tt.root {
				c.ParentID = uuid.Must(uuid.NewV7())
			}
			if tt.closed {
				c.ClosedAt = now
			}
			ev, err := c.Moderate(tt.action, tt.reason, uuid.Nil, now)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || c.State != tt.want || ev.Action != tt.action || ev.ContributionID != c.ID {
				t.Fatalf("got %v %v %+v", c.State, err, ev)
			}
		})
	}
}

func TestDeleteByAuthorKeepsAPlaceholderForReplies(t *testing.T) {
	c := Contribution{Title: "T", Body: "B", State: StatePublished, Location: &geo.Point{}, Attachment: &Attachment{}, Official: true}
	if c.DeleteByAuthor(true, now) || c.State != StateDeleted || c.Title != "" || c.Body != "" || c.Location != nil || c.Attachment != nil || c.Official {
		t.Fatalf("placeholder: %+v", c)
	}
	if !(&Contribution{}).DeleteByAuthor(false, now) {
		t.Fatal("without replies it is removed")
	}
}

func TestSettingsKeepTopicIDs(t *testing.T) {
	s := DefaultSettings(uuid.Nil)
	if err := s.Apply(SettingsInput{Identity: IdentityEmail, Moderation: ModerationPost, Topics: []string{"Verkehr", "Grün"}}, now); err != nil {
		t.Fatal(err)
	}
	verkehr := s.Topics[0].ID
	if err := s.Apply(SettingsInput{Identity: IdentityAccount, Moderation: ModerationPre, Topics: []string{"Spielen", " verkehr "}}, now); err != nil {
		t.Fatal(err)
	}
	if s.Topics[1].ID != verkehr || s.Topics[1].Name != "verkehr" || s.Topics[1].Position != 1 {
		t.Fatalf("topics: %+v", s.Topics)
	}
	for _, in := range []SettingsInput{
		{Identity: "anyone", Moderation: ModerationPost},
		{Identity: IdentityEmail, Moderation: "never"},
		{Identity: IdentityEmail, Moderation: ModerationPost, Topics: []string{"A", "a"}},
		{Identity: IdentityEmail, Moderation: ModerationPost, Topics: []string{" "}},
	} {
		if err := s.Apply(in, now); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("%+v: %v", in, err)
		}
	}
	if err := s.SetSummary("", true, now); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("empty summary published: %v", err)
	}
	_ = s.SetSummary("Ergebnis", true, now)
	first := s.SummaryPublishedAt
	_ = s.SetSummary("Ergebnis, ergänzt", true, now.Add(time.Hour))
	if s.SummaryPublishedAt != first {
		t.Fatal("republishing moves the publication date")
	}
	_ = s.SetSummary("Ergebnis", false, now)
	if !s.SummaryPublishedAt.IsZero() {
		t.Fatal("withdrawn summary stays published")
	}
}

func TestReportsNeedAKnownReason(t *testing.T) {
	c := &Contribution{ID: uuid.Must(uuid.NewV7())}
	for _, tt := range []struct {
		reason ReportReason
		note   string
		ok     bool
	}{{ReasonSpam, "", true}, {ReasonOther, "", false}, {ReasonOther, "Unsinn", true}, {"boring", "", false}} {
		if _, err := NewReport(c, tt.reason, tt.note, now); (err == nil) != tt.ok {
			t.Fatalf("%s %q: %v", tt.reason, tt.note, err)
		}
	}
}

func TestPseudonymsAndAddresses(t *testing.T) {
	for p, ok := range map[string]bool{"Ada": true, "Anwohner Nord": true, "Radler_Grimma": true, "Zoë-2": true,
		"ab": false, "ada@example.org": false, "<script>": false, strings.Repeat("x", 41): false} {
		if (CheckPseudonym(p) == nil) != ok {
			t.Fatalf("pseudonym %q: want ok %v", p, ok)
		}
	}
	for e, ok := range map[string]bool{"erika@example.org": true, "erika": false, "a@b": false, "a b@example.org": false} {
		if (CheckEmail(e) == nil) != ok {
			t.Fatalf("email %q: want ok %v", e, ok)
		}
	}
}

// FuzzInputValidate: any text is either refused with named fields or
// storable, within the limits, with at most MaxLinks links.
func FuzzInputValidate(f *testing.F) {
	f.Add("Bänke", "Mehr Bänke, bitte. www.example.org", false)
	f.Add("", "\x00", true)
	f.Add("Titel", "https://a https://b https://c https://d", false)
	f.Fuzz(func(t *testing.T, title, body string, reply bool) {
		in := Input{Title: title, Body: body}
		err := in.Validate(reply, geo.Area{}, &Settings{})
		if err != nil {
			if len(fields(err)) == 0 {
				t.Fatalf("error without fields: %v", err)
			}
			return
		}
		n := utf8.RuneCountInString(strings.TrimSpace(body))
		if !utf8.ValidString(body) || strings.IndexByte(body, 0) >= 0 || n > MaxBody || CountLinks(title)+CountLinks(body) > MaxLinks {
			t.Fatalf("accepted %q / %q", title, body)
		}
		if reply && strings.TrimSpace(title) != "" {
			t.Fatalf("reply with title accepted: %q", title)
		}
	})
}
