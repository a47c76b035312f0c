package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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

// Every message key the domain and web layers use has a German text. The keys
// are found in the source, so a new rule without a text fails here.
func TestEveryCodeHasAGermanText(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`"((?:procedure|organisation|account|geo|query|document|statement|survey|defect|open311|mail|time)(?:\.[a-z_0-9]+)+)"`)
	var missing []string
	for _, dir := range []string{"../../domain", "../../app", "../../web"} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(src), "\n") {
				// Audit action names look like keys but are not shown as texts.
				if strings.Contains(line, "Record(") || strings.Contains(line, "NewEntry(") || strings.Contains(line, "s.change(") ||
					strings.Contains(line, "action ==") || strings.Contains(line, "action :=") || strings.Contains(line, "action = ") ||
					strings.Contains(line, "Kind:") || strings.Contains(line, "e.g.") {
					continue
				}
				for _, m := range re.FindAllStringSubmatch(line, -1) {
					if !Has(m[1]) {
						missing = append(missing, m[1]+" ("+path+")")
					}
				}
			}
			return nil
		})
	}
	if len(missing) > 0 {
		t.Fatalf("message keys without German text:\n%s", strings.Join(missing, "\n"))
	}
}
