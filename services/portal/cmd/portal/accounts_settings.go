package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"gerbang/pkg/service"
	"gerbang/services/portal/internal/adapters/mail"
	"gerbang/services/portal/internal/app"
	porthttp "gerbang/services/portal/internal/ports/http"
)

// loadAccountSettings reads the variables of sign-up, the mailed links and
// the mail server.
func loadAccountSettings(s *settings, cfg service.Config, getenv func(string) string) error {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	var err error
	s.signUpLimits = porthttp.LoginLimits{Window: time.Minute, Refusal: porthttp.SignUpRefusal}
	if s.signUpLimits.PerIP, err = service.Int(getenv, "SIGNUP_LIMIT_PER_IP", 10); err != nil {
		return err
	}
	if s.signUpLimits.PerEmail, err = service.Int(getenv, "SIGNUP_LIMIT_PER_EMAIL", 3); err != nil {
		return err
	}
	s.resetLimits = porthttp.LoginLimits{Window: time.Minute, Refusal: porthttp.ResetRefusal}
	if s.resetLimits.PerIP, err = service.Int(getenv, "RESET_LIMIT_PER_IP", 10); err != nil {
		return err
	}
	if s.resetLimits.PerEmail, err = service.Int(getenv, "RESET_LIMIT_PER_EMAIL", 3); err != nil {
		return err
	}
	if s.verifyTTL, err = durationVar(getenv, "VERIFY_LINK_TTL", app.VerifyLinkTTL); err != nil {
		return err
	}
	if s.resetTTL, err = durationVar(getenv, "RESET_LINK_TTL", app.ResetLinkTTL); err != nil {
		return err
	}
	if s.answerFloor, err = durationVar(getenv, "ACCOUNT_ANSWER_FLOOR", app.DefaultAnswerFloor); err != nil {
		return err
	}
	s.publicURL = strings.TrimRight(get("PUBLIC_URL", defaultPublicURL(cfg.HTTPAddr)), "/")
	if u, err := url.Parse(s.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("PUBLIC_URL: %q is not an http(s) URL", s.publicURL)
	}
	s.mail = mail.Config{
		Addr:     get("SMTP_ADDR", "127.0.0.1:1025"),
		Username: get("SMTP_USERNAME", ""),
		Password: getenv("SMTP_PASSWORD"),
		TLS:      get("SMTP_TLS", mail.TLSOpportunistic),
		From:     get("MAIL_FROM", "Gerbang <no-reply@gerbang.localhost>"),
	}
	if s.mail.Timeout, err = durationVar(getenv, "SMTP_TIMEOUT", 10*time.Second); err != nil {
		return err
	}
	return nil
}

// durationVar reads a positive duration variable with a default.
func durationVar(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration", key, v)
	}
	return d, nil
}

// defaultPublicURL is where a browser on this machine reaches the portal
// listening at addr (":8080" and "0.0.0.0:8080" are reached at 127.0.0.1).
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
