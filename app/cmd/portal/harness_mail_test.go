package main

import (
	"testing"

	"beteiligungsportal/infra/testenv"
)

// waitForMail waits up to 15 s until the test Mailpit has a mail to the
// address to (exactly) whose subject contains subjectContains, and returns the
// newest one: subject, text, sender, recipients, Message-ID and raw headers.
// Servers started with testEnv.start send their outbox within a few
// milliseconds, so a test can assert a confirmation mail right after the
// request that queued it. Use newMailAddress for an address of the test's own.
func waitForMail(t testing.TB, to, subjectContains string) testenv.Mail {
	t.Helper()
	return testenv.WaitForMail(t, to, subjectContains)
}

// mailsTo returns every mail Mailpit has for to whose subject contains
// subjectContains, newest first, without waiting; to check that something was
// not sent, or sent once.
func mailsTo(t testing.TB, to, subjectContains string) []testenv.Mail {
	t.Helper()
	return testenv.Mails(t, to, subjectContains)
}

// newMailAddress returns an address at example.org that no other test uses,
// starting with name.
func newMailAddress(name string) string { return testenv.MailAddress(name) }
