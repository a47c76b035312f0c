package survey

import "testing"

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                        "",
		"Radweg":                  "Radweg",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+49 3731":                "'+49 3731",
		"@SUM(A1)":                "'@SUM(A1)",
		"-5":                      "-5",
		"-2,5":                    "-2,5",
		"- kein Radweg":           "'- kein Radweg",
		"\tx":                     "'\tx",
	} {
		if got := neutralise(in); got != want {
			t.Errorf("neutralise(%q): got %q, want %q", in, got, want)
		}
	}
}
