package i18n

import (
	"strings"
	"testing"
)

func TestEveryProblemHasTitleAndDetail(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		if slug, ok := strings.CutPrefix(k, "problem."); ok && !Has("detail."+slug) && slug != "invalid_credentials" && slug != "unknown_field" {
			t.Errorf("problem %q has a title but no detail text", slug)
		}
	}
}

func TestUnknownKeyIsVisibleNotFatal(t *testing.T) {
	t.Parallel()
	if got := T(Default, "no.such.key"); got != "no.such.key" {
		t.Fatalf("got %q", got)
	}
	if got := T("fr", "problem.not_found"); got != "Nicht gefunden" {
		t.Fatalf("fallback to German: got %q", got)
	}
}
