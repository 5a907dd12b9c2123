package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/adapters/mail"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/smtptest"
)

func TestAMailReachesARealSMTPServerIntact(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := mail.New(mail.Config{Addr: srv.Addr, From: "Gerbang <no-reply@gerbang.localhost>"})
	if err != nil {
		t.Fatal(err)
	}
	text := "Halo Siti Aminah — CV Maju Jaya,\n\nbuka https://gerbang.example/verify-email?token=abc_DEF-123 sekarang.\nBaris yang panjang sekali " + strings.Repeat("kata ", 40) + "\n"
	if err := sender.Send(context.Background(), app.Mail{To: "siti@contoh.co.id", Subject: "Verifikasi email — Gerbang", Text: text}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.To("siti@contoh.co.id")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.Subject != "Verifikasi email — Gerbang" || m.From != "no-reply@gerbang.localhost" || !strings.Contains(m.Header.Get("From"), "Gerbang") {
		t.Errorf("subject %q, envelope from %q, From %q", m.Subject, m.From, m.Header.Get("From"))
	}
	if m.Text != text {
		t.Errorf("text arrived as\n%q\nwant\n%q", m.Text, text)
	}
	if got := m.Link("/verify-email"); got != "https://gerbang.example/verify-email?token=abc_DEF-123" {
		t.Errorf("link %q", got)
	}
	if m.Header.Get("Message-Id") == "" || m.Header.Get("Date") == "" {
		t.Errorf("headers %v", m.Header)
	}
}

func TestAMailServerThatIsDownIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	sender, err := mail.New(mail.Config{Addr: addr, From: "no-reply@gerbang.localhost", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(context.Background(), app.Mail{To: "siti@contoh.co.id", Subject: "x", Text: "x"})
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("error %v, want Unavailable", err)
	}
}

func TestMailSettingsAreChecked(t *testing.T) {
	for _, c := range []mail.Config{
		{Addr: "127.0.0.1", From: "a@b.id"},
		{Addr: "127.0.0.1:99999", From: "a@b.id"},
		{Addr: "127.0.0.1:25", From: "not an address"},
		{Addr: "127.0.0.1:25", From: "a@b.id", TLS: "sometimes"},
	} {
		if _, err := mail.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
