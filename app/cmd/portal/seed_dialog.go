package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	appdialog "beteiligungsportal/app/dialog"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/dialog"
)

// seedDialog sets up Grimma's demo dialog "Zukunft Marktplatz": netiquette,
// topics, three threads by demo accounts (shown by pseudonym) with replies,
// supports, one hidden reply and an official answer, unless it has threads.
func seedDialog(ctx context.Context, svc services) (int, error) {
	const slug = "dialog-zukunft-marktplatz"
	page, err := svc.dialogs.Threads(ctx, appdialog.Caller{}, slug, dialog.Filter{Limit: 1})
	if err != nil || len(page.Page.Items) > 0 {
		return 0, err
	}
	login := func(email string) (account.Principal, error) { return svc.accounts.Login(ctx, email, DemoPassword) }
	admin, err := login("grimma-admin@demo.example")
	if err != nil {
		return 0, fmt.Errorf("login: %s", describe(err))
	}
	v, err := svc.dialogs.Configure(ctx, admin, slug, dialog.SettingsInput{Identity: dialog.IdentityEmail, Moderation: dialog.ModerationPost,
		Netiquette: "Bitte bleiben Sie sachlich und respektvoll. Beleidigungen, Werbung und persönliche Daten Dritter werden ausgeblendet.",
		Topics:     []string{"Markttage", "Verkehr und Parken", "Grün und Aufenthalt"}})
	if err != nil {
		return 0, fmt.Errorf("configure: %s", describe(err))
	}
	topic := func(i int) uuid.UUID { return v.Settings.Topics[i].ID }
	var people []appdialog.Caller
	for _, e := range []string{"freiberg-editor@demo.example", "freiberg-viewer@demo.example", "doebeln-editor@demo.example"} {
		p, err := login(e)
		if err != nil {
			return 0, fmt.Errorf("login: %s", describe(err))
		}
		people = append(people, appdialog.Caller{Principal: &p})
	}
	pseudonyms := []string{"Marktfreundin", "Radler_Grimma", "Anwohner Nord"}
	add := func(who int, parent uuid.UUID, in dialog.Input) (dialog.Contribution, error) {
		in.ParentID = parent
		c, err := svc.dialogs.Contribute(ctx, people[who], slug, appdialog.Contribution{Input: in, Pseudonym: pseudonyms[who]})
		if err != nil {
			return c, fmt.Errorf("contribution: %s", describe(err))
		}
		return c, nil
	}
	n := 0
	t1, err := add(0, uuid.Nil, dialog.Input{TopicID: topic(0), Title: "Wochenmarkt auch am Samstag",
		Body: "Ein Wochenmarkt am Samstagvormittag würde den Marktplatz beleben, gerade für Berufstätige."})
	if err != nil {
		return n, err
	}
	r1, err := add(1, t1.ID, dialog.Input{Body: "Gute Idee, dann bitte mit Fahrradständern am Rand des Platzes."})
	if err != nil {
		return n, err
	}
	if _, err := add(0, r1.ID, dialog.Input{Body: "Stimmt, die fehlen heute ganz."}); err != nil {
		return n, err
	}
	t2, err := add(2, uuid.Nil, dialog.Input{TopicID: topic(1), Title: "Parkplätze vor der Sparkasse erhalten",
		Body: "Für ältere Menschen sind die Kurzzeitparkplätze vor der Sparkasse wichtig. Bitte nicht ganz streichen."})
	if err != nil {
		return n, err
	}
	spam, err := add(1, t2.ID, dialog.Input{Body: "Jetzt günstig parken bei unserem Partner, einfach anrufen!"})
	if err != nil {
		return n, err
	}
	if _, err := svc.dialogs.Moderate(ctx, admin, spam.ID, dialog.ActionHide, "Werbung"); err != nil {
		return n, fmt.Errorf("moderate: %s", describe(err))
	}
	if _, err := svc.dialogs.Answer(ctx, admin, t2.ID, "Zwei Kurzzeitparkplätze und ein Behindertenparkplatz bleiben im Entwurf erhalten."); err != nil {
		return n, fmt.Errorf("answer: %s", describe(err))
	}
	t3, err := add(1, uuid.Nil, dialog.Input{TopicID: topic(2), Title: "Mehr Schatten durch Bäume",
		Body: "Im Sommer ist der Platz eine Hitzeinsel. Ein paar große Bäume und Bänke darunter wären schön."})
	if err != nil {
		return n, err
	}
	for _, s := range []struct {
		who int
		id  uuid.UUID
	}{{1, t1.ID}, {2, t1.ID}, {0, t3.ID}, {2, t3.ID}, {0, t2.ID}} {
		if _, err := svc.dialogs.Support(ctx, people[s.who], s.id, true); err != nil {
			return n, fmt.Errorf("support: %s", describe(err))
		}
	}
	return 7, nil
}
