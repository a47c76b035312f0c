// Package smtp delivers the portal's e-mail to an SMTP server (a relay of the
// operator, or Mailpit in development) with go-mail: MIME 1.0, UTF-8 with
// RFC 2047 encoded headers and a quoted-printable body.
package smtp

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"beteiligungsportal/domain/mail"
)

// Config is a parsed SMTP_URL.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is smtps://: TLS from the first byte. Otherwise STARTTLS is
	// used whenever the server offers it.
	ImplicitTLS bool
}

// ParseURL reads smtp://[user:password@]host[:port] (STARTTLS when the server
// offers it, port 587 by default) or smtps://… (implicit TLS, port 465).
// Credentials are never sent over an unencrypted connection, except to a
// server on loopback. Errors never echo the URL, which may hold a password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("is not a valid URL")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.ImplicitTLS = 465, true
	default:
		return Config{}, errors.New("must start with smtp:// or smtps://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("needs a host: smtp://host:port")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return Config{}, errors.New("has an invalid port")
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Config{}, errors.New("takes no path or options: smtp://[user:password@]host[:port]")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// Sender sends one message per connection.
type Sender struct {
	cfg     Config
	timeout time.Duration
}

// New returns a Sender for the server in cfg; timeout bounds each network
// step of a delivery.
func New(cfg Config, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, timeout: timeout}
}

// Send delivers m from the address from. A refusal by the server that concerns
// this message (5xx on a recipient or its content) wraps mail.ErrRejected, as
// does an address that cannot be sent to; everything else (no connection,
// authentication, 4xx, time-outs) is temporary.
func (s *Sender) Send(ctx context.Context, from string, m mail.Queued) error {
	msg, err := compose(from, m, time.Now())
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.timeout)}
	if s.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// compose builds the MIME message. The Message-ID comes from the outbox ID, so
// a resend carries the same one.
func compose(from string, m mail.Queued, now time.Time) (*gomail.Msg, error) {
	fromAddr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", mail.ErrRejected, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("%w: line break in subject", mail.ErrRejected)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))
	msg.FromMailAddress(fromAddr)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(m.ID.String() + "@" + domainOf(fromAddr.Address))
	// RFC 3834: an automatic message; asks vacation responders not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

// classify wraps refusals that concern the message itself in mail.ErrRejected.
// A 5xx on MAIL FROM or AUTH says more about the portal's configuration than
// about the message, so it stays temporary and no mail is given up for it.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() {
		switch se.Reason {
		case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			if se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
				return fmt.Errorf("%w: %w", mail.ErrRejected, err)
			}
		case gomail.ErrGetRcpts:
			return fmt.Errorf("%w: %w", mail.ErrRejected, err)
		}
	}
	return fmt.Errorf("smtp: %w", err)
}
