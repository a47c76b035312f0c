package handler

import (
	"testing"

	"beteiligungsportal/domain/survey"
)

// The domain leaves the label of the "other" option empty; results and
// exports name it from the catalogue.
func TestOptionLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   survey.OptionResult
		want string
	}{
		{survey.OptionResult{Key: survey.OtherKey}, "Sonstiges"},
		{survey.OptionResult{Key: "bus", Label: "Bus"}, "Bus"},
		{survey.OptionResult{Key: survey.OtherKey, Label: "Etwas anderes"}, "Etwas anderes"},
	} {
		if got := optionLabel(c.in); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
