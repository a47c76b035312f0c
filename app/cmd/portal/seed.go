package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/google/uuid"

	appaccount "beteiligungsportal/app/account"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	org "beteiligungsportal/domain/organisation"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/migrations"
)

// DemoPassword is the password of every demo account; the README lists them.
const DemoPassword = "Demo-Passwort-2026"

type demoOrg struct {
	key, parent string
	in          org.Input
}

// demoOrgs is a small Saxon hierarchy with real municipality keys.
var demoOrgs = []demoOrg{
	{"sn", "", org.Input{Name: "Freistaat Sachsen", Kind: org.KindState, AGS: "14000000",
		Contact: org.Contact{Email: "poststelle@sachsen.example", Website: "https://www.sachsen.example"}}},
	{"msn", "sn", org.Input{Name: "Landkreis Mittelsachsen", Kind: org.KindDistrict, AGS: "14522000",
		Contact: org.Contact{Email: "post@landkreis-mittelsachsen.example", Address: "Frauensteiner Straße 43, 09599 Freiberg"}}},
	{"ll", "sn", org.Input{Name: "Landkreis Leipzig", Kind: org.KindDistrict, AGS: "14729000",
		Contact: org.Contact{Email: "info@lk-leipzig.example", Address: "Stauffenbergstraße 4, 04552 Borna"}}},
	{"freiberg", "msn", org.Input{Name: "Universitätsstadt Freiberg", Kind: org.KindMunicipality, AGS: "14522180",
		Contact: org.Contact{Email: "stadtplanung@freiberg.example", Phone: "03731 273-0", Address: "Obermarkt 24, 09599 Freiberg"}}},
	{"doebeln", "msn", org.Input{Name: "Große Kreisstadt Döbeln", Kind: org.KindMunicipality, AGS: "14522080",
		Contact: org.Contact{Email: "bauamt@doebeln.example", Address: "Obermarkt 1, 04720 Döbeln"}}},
	{"grimma", "ll", org.Input{Name: "Große Kreisstadt Grimma", Kind: org.KindMunicipality, AGS: "14729160",
		Contact: org.Contact{Email: "stadtentwicklung@grimma.example", Address: "Markt 16/17, 04668 Grimma"}}},
	{"zweckverband", "", org.Input{Name: "Zweckverband Wasser und Abwasser Mittelsachsen", Kind: org.KindPublicBody,
		Contact: org.Contact{Email: "toeb@zv-wasser-mittelsachsen.example"}}},
}

type demoAccount struct {
	email, name, org string
	role             account.Role
}

var demoAccounts = []demoAccount{
	{"freiberg-admin@demo.example", "Franziska Berger", "freiberg", account.RoleOrgAdmin},
	{"freiberg-editor@demo.example", "Erik Schubert", "freiberg", account.RoleEditor},
	{"freiberg-moderator@demo.example", "Mona Richter", "freiberg", account.RoleModerator},
	{"freiberg-viewer@demo.example", "Viktor Lange", "freiberg", account.RoleViewer},
	{"grimma-admin@demo.example", "Greta Hoffmann", "grimma", account.RoleOrgAdmin},
	{"doebeln-editor@demo.example", "Dirk Neumann", "doebeln", account.RoleEditor},
	{"toeb@demo.example", "Tobias Krause", "zweckverband", account.RoleEditor},
}

const demoAdminEmail = "admin@demo.example"

// seedDemo loads the demo data. Every step checks what exists, so running it
// again (or after an interrupted run) changes nothing that is already there.
func seedDemo(ctx context.Context, cfg config, out io.Writer) error {
	return seed(ctx, cfg, out, true)
}

// seed loads the organisations and accounts and, with procedures, the demo
// procedures (tests that build their own procedures leave them out).
func seed(ctx context.Context, cfg config, out io.Writer, procedures bool) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.CheckSchema(ctx, db, migrations.Migrations); err != nil {
		return err
	}
	svc, err := newServices(cfg, db, slog.Default(), systemClock)
	if err != nil {
		return err
	}
	existing, err := svc.organisations.List(ctx)
	if err != nil {
		return err
	}
	ids := map[string]uuid.UUID{}
	byName := map[string]uuid.UUID{}
	for _, o := range existing {
		byName[o.Name] = o.ID
	}
	admin := appaccount.SystemPrincipal
	created := 0
	for _, d := range demoOrgs {
		if id, ok := byName[d.in.Name]; ok {
			ids[d.key] = id
			continue
		}
		in := d.in
		in.ParentID = ids[d.parent]
		o, err := svc.organisations.Create(ctx, admin, in)
		if err != nil {
			return fmt.Errorf("seed %s: %s", d.in.Name, describe(err))
		}
		ids[d.key] = o.ID
		created++
	}
	if _, _, err := svc.accounts.CreateInstanceAdmin(ctx, demoAdminEmail, "Ines Admin", DemoPassword); err == nil {
		created++
	} else if !errors.Is(err, account.ErrEmailTaken) {
		return fmt.Errorf("seed admin: %s", describe(err))
	}
	for _, a := range demoAccounts {
		_, err := svc.accounts.AddMemberAsSystem(ctx, ids[a.org], appaccount.AddMemberInput{
			Email: a.email, DisplayName: a.name, Password: DemoPassword, Role: a.role})
		switch {
		case err == nil:
			created++
		case errors.Is(err, account.ErrMemberExists):
		default:
			return fmt.Errorf("seed %s: %s", a.email, describe(err))
		}
	}
	if procedures {
		n, err := seedProcedures(ctx, svc, ids, systemClock())
		if err != nil {
			return fmt.Errorf("seed procedures: %w", err)
		}
		created += n
		if n, err = seedStatements(ctx, svc); err != nil {
			return fmt.Errorf("seed statements: %w", err)
		}
		created += n
		if n, err = seedSurvey(ctx, cfg, db); err != nil {
			return fmt.Errorf("seed survey: %w", err)
		}
		created += n
		if n, err = seedDefects(ctx, svc, ids); err != nil {
			return fmt.Errorf("seed defects: %w", err)
		}
		created += n
		if n, err = seedDialog(ctx, svc); err != nil {
			return fmt.Errorf("seed dialog: %w", err)
		}
		created += n
	}
	if created == 0 {
		fmt.Fprintln(out, "demo data already loaded")
	} else {
		fmt.Fprintf(out, "demo data loaded (%d records)\n", created)
	}
	printDemoAccounts(out)
	return nil
}

func printDemoAccounts(out io.Writer) {
	fmt.Fprintf(out, "\nDemo accounts (password for all: %s):\n", DemoPassword)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", demoAdminEmail, "instance_admin", "")
	names := map[string]string{}
	for _, d := range demoOrgs {
		names[d.key] = d.in.Name
	}
	for _, a := range demoAccounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.email, a.role, names[a.org])
	}
	tw.Flush()
	fmt.Fprintln(out)
}

// describe renders an error for the shell: the message key of a rule or the
// field list of a validation error instead of a Go error chain.
func describe(err error) string {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		return ve.Error()
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Code
	}
	return err.Error()
}
