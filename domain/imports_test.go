package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the direction of dependencies (web → app → domain ←
// infra): the domain knows no framework, use cases know no adapter, adapters know
// no use case and the HTTP layer knows no storage.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, "beteiligungsportal/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	type rule struct {
		pkgPrefix string
		forbidden []string // import path prefixes
		deps      bool     // check transitive dependencies, not only direct imports
	}
	storage := []string{"github.com/uptrace/bun", "github.com/jackc/", "github.com/redis/", "github.com/go-redis/", "database/sql"}
	rules := []rule{
		{"beteiligungsportal/domain", append([]string{"github.com/gofiber/", "github.com/go-playground/", "net/http",
			"beteiligungsportal/app", "beteiligungsportal/infra", "beteiligungsportal/web"}, storage...), true},
		{"beteiligungsportal/app/", append([]string{"github.com/gofiber/", "github.com/go-playground/",
			"beteiligungsportal/infra", "beteiligungsportal/web"}, storage...), false},
		{"beteiligungsportal/infra", []string{"github.com/gofiber/fiber", "beteiligungsportal/app", "beteiligungsportal/web"}, false},
		{"beteiligungsportal/web", append([]string{"beteiligungsportal/infra", "beteiligungsportal/migrations"}, storage...), false},
		{"beteiligungsportal/migrations", []string{"beteiligungsportal/", "github.com/gofiber/", "github.com/redis/"}, false},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		if strings.HasPrefix(pkg, "beteiligungsportal/app/cmd/") {
			continue // the composition root sees everything
		}
		for _, r := range rules {
			if !strings.HasPrefix(pkg, r.pkgPrefix) {
				continue
			}
			checked++
			list := imports
			if r.deps {
				// Transitively, only third-party packages count: the standard
				// library may use database/sql/driver (google/uuid does).
				for _, d := range deps {
					if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
						list = append(list, d)
					}
				}
			}
			for _, imp := range list {
				for _, f := range r.forbidden {
					if strings.HasPrefix(imp, f) && !strings.HasPrefix(imp, r.pkgPrefix) {
						t.Errorf("%s imports %s (forbidden: %s)", pkg, imp, f)
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages; is go list output as expected?\n%s", checked, out)
	}
}
