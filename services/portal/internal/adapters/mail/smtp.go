// Package mail sends the portal's mail over SMTP (github.com/wneessen/go-mail).
package mail

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/app"
)

// TLS modes of the connection to the mail server.
const (
	TLSOpportunistic = "opportunistic" // STARTTLS when the server offers it (the default; a local catcher offers none)
	TLSStartTLS      = "starttls"      // STARTTLS required
	TLSImplicit      = "tls"           // TLS from the first byte (port 465)
	TLSNone          = "none"          // never
)

// Config says where and how mail goes out.
type Config struct {
	Addr     string // host:port of the SMTP server
	Username string // SMTP AUTH when set (PLAIN, or what the server offers)
	Password string
	TLS      string        // one of the TLS modes; "" is TLSOpportunistic
	From     string        // "Name <address>" or an address
	Timeout  time.Duration // longest a message may take to hand over; default 10s
}

// SMTP hands each message to the configured mail server.
type SMTP struct {
	cfg  Config
	host string
	port int
	from *mail.Address
}

var _ app.Mailer = (*SMTP)(nil)

// New checks cfg and returns the sender.
func New(cfg Config) (*SMTP, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("SMTP address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("SMTP address %q: bad port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail sender %q: %w", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSOpportunistic
	case TLSOpportunistic, TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("SMTP TLS mode %q: want %s, %s, %s or %s", cfg.TLS, TLSOpportunistic, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &SMTP{cfg: cfg, host: host, port: port, from: from}, nil
}

// Send hands m to the mail server; a server that cannot be reached, refuses
// the message or is too slow makes an apperr Unavailable.
func (s *SMTP) Send(ctx context.Context, m app.Mail) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(s.from.Name, s.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return apperr.New(apperr.Invalid, "The recipient %q is not an email address.", m.To)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	client, err := gomail.NewClient(s.host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return &apperr.Error{
			Code:    apperr.Unavailable,
			Message: "Email tidak dapat dikirim saat ini; coba lagi beberapa menit lagi. / The email could not be sent just now; try again in a few minutes.",
			Err:     fmt.Errorf("send %q to %s via %s: %w", m.Subject, m.To, s.cfg.Addr, err),
		}
	}
	return nil
}

func (s *SMTP) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.cfg.Timeout), gomail.WithHELO(helo(s.from.Address))}
	switch s.cfg.TLS {
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSLPort(false))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	}
	// WithTLSPortPolicy and WithSSLPort pick a port of their own; the
	// configured one wins.
	opts = append(opts, gomail.WithPort(s.port))
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// helo names this host by the sender's domain: "localhost" is what many
// servers refuse to hear from a stranger.
func helo(from string) string {
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		return from[i+1:]
	}
	return "localhost"
}
