package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/services/portal/internal/domain"
)

// Default lifetimes of the links sent by mail.
const (
	VerifyLinkTTL = 24 * time.Hour
	ResetLinkTTL  = time.Hour
)

// SignUpRoles are the roles a person who signs up gets: the owner of a
// business (who, registered in licensing, is also the vendor in tenders).
// Officers' accounts are made by operators, never by signing up.
var SignUpRoles = []string{auth.RoleBusiness}

// Paths of the pages the mailed links open (ports/http serves them).
const (
	VerifyEmailPath   = "/verify-email"
	ResetPasswordPath = "/password/reset"
	LoginPath         = "/login"
	ForgotPath        = "/password/forgot"
	SignUpPath        = "/signup"
	PasswordPath      = "/account/password"
)

// Mail is one message to one person.
type Mail struct {
	To      string
	Subject string
	Text    string // plain text, Bahasa Indonesia first, then English
}

// Mailer sends mail (adapters/mail.SMTP). A failure to hand the message to
// the mail server is an apperr Unavailable.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// AccountLinks stores accounts and the links mailed to them
// (adapters/postgres.Accounts).
type AccountLinks interface {
	Accounts
	// SignUp stores a with link unless its email has an account, and
	// reports whether it stored it.
	SignUp(ctx context.Context, a domain.Account, link domain.LinkToken) (bool, error)
	// IssueLink stores link for the account id, retiring its earlier links
	// of the same purpose.
	IssueLink(ctx context.Context, id uuid.UUID, link domain.LinkToken, now time.Time) error
	// OpenLink returns the account of a working link, without using it.
	OpenLink(ctx context.Context, purpose domain.LinkPurpose, hash []byte, now time.Time) (domain.Account, error)
	// VerifyEmail uses a verification link.
	VerifyEmail(ctx context.Context, hash []byte, now time.Time) (domain.Account, error)
	// ResetPassword uses a reset link to set the password hash.
	ResetPassword(ctx context.Context, hash []byte, passwordHash string, now time.Time) (domain.Account, error)
	// ChangePassword replaces the hash oldHash by newHash.
	ChangePassword(ctx context.Context, id uuid.UUID, oldHash, newHash string, now time.Time) (domain.Account, error)
}

// SelfService is what a person does with their own account: sign up, verify
// the email, reset a forgotten password, change it. No answer says whether
// an email has an account: where it matters, mail goes to the address and the
// page says the same either way.
type SelfService struct {
	Store     AccountLinks
	Passwords *Passwords
	Mailer    Mailer
	Clock     clock.Clock
	BaseURL   string        // the portal as people reach it, e.g. http://127.0.0.1:8080
	VerifyTTL time.Duration // default VerifyLinkTTL
	ResetTTL  time.Duration // default ResetLinkTTL
	Log       *slog.Logger  // notices that could not be sent
	// AnswerFloor is the least time a sign-up or a reset request takes once
	// its input is valid: a new and a taken email (a known and an unknown
	// one) then answer after the same time, the floor, whenever the work
	// itself takes less. Default DefaultAnswerFloor.
	AnswerFloor time.Duration
}

// DefaultAnswerFloor is above what a sign-up (a bcrypt hash at cost 10, a
// transaction, a mail) and a reset request take on a machine that is not
// overloaded.
const DefaultAnswerFloor = 500 * time.Millisecond

// evenly waits until the floor has passed since start (or ctx ends).
func (s *SelfService) evenly(ctx context.Context, start time.Time) {
	floor := s.AnswerFloor
	if floor <= 0 {
		floor = DefaultAnswerFloor
	}
	wait := floor - time.Since(start)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ErrLinkGone is the answer to a mailed link that does not work (any more).
var ErrLinkGone = errors.New("link used, replaced or expired")

// SignUp opens an account for s with the business-owner role and mails the
// link that verifies its email. When the email already has an account, the
// person at that address gets a verification link (not verified yet) or a
// note that they have an account (verified); the answer is the same, so no
// one learns which emails have accounts.
func (s *SelfService) SignUp(ctx context.Context, form domain.SignUp) error {
	start := time.Now()
	applicant, err := form.Check()
	if err != nil {
		return err // says nothing of the email's account
	}
	defer s.evenly(ctx, start)
	// Hashed whatever follows, so every path costs the same bcrypt work.
	hash, err := s.Passwords.Hash(applicant.Password)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	// The owner acts for an organisation of their own: the business they
	// register takes its id, and payment shows them the invoices of it.
	org, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	acc, err := domain.NewAccount(id, applicant.Email, applicant.DisplayName, hash, SignUpRoles, &org, now)
	if err != nil {
		return err
	}
	acc.Phone = applicant.Phone
	link, err := domain.NewLinkToken(domain.PurposeVerifyEmail, now.Add(ttlOr(s.VerifyTTL, VerifyLinkTTL)))
	if err != nil {
		return err
	}
	created, err := s.Store.SignUp(ctx, acc, link)
	if err != nil {
		return err
	}
	if created {
		return s.Mailer.Send(ctx, verificationMail(acc, s.link(VerifyEmailPath, link.Secret), ttlOr(s.VerifyTTL, VerifyLinkTTL)))
	}
	existing, err := s.Store.ByEmail(ctx, acc.Email)
	if err != nil {
		return fmt.Errorf("sign up %s: %w", acc.Email, err)
	}
	if existing.Disabled {
		return nil // nothing to offer; the page says the same
	}
	if !existing.EmailVerified() {
		return s.SendVerification(ctx, existing)
	}
	return s.Mailer.Send(ctx, alreadyRegisteredMail(existing, s.BaseURL+LoginPath, s.BaseURL+ForgotPath))
}

// SendVerification mails a new verification link to the account (its
// earlier links stop working).
func (s *SelfService) SendVerification(ctx context.Context, acc domain.Account) error {
	return s.mailLink(ctx, acc, domain.PurposeVerifyEmail, ttlOr(s.VerifyTTL, VerifyLinkTTL), VerifyEmailPath, verificationMail)
}

// mailLink stores a new link of purpose for the account and mails it, as
// compose writes it.
func (s *SelfService) mailLink(ctx context.Context, acc domain.Account, purpose domain.LinkPurpose, ttl time.Duration, path string,
	compose func(domain.Account, string, time.Duration) Mail) error {
	now := s.Clock.Now()
	link, err := domain.NewLinkToken(purpose, now.Add(ttl))
	if err != nil {
		return err
	}
	if err := s.Store.IssueLink(ctx, acc.ID, link, now); err != nil {
		return err
	}
	return s.Mailer.Send(ctx, compose(acc, s.link(path, link.Secret), ttl))
}

// VerifyEmail uses a verification link's secret; ErrLinkGone (an apperr
// NotFound) when it does not work.
func (s *SelfService) VerifyEmail(ctx context.Context, secret string) (domain.Account, error) {
	acc, err := s.Store.VerifyEmail(ctx, domain.HashLinkSecret(secret), s.Clock.Now())
	return acc, gone(err)
}

// OpenVerification tells whether a verification link works, without using it.
func (s *SelfService) OpenVerification(ctx context.Context, secret string) (domain.Account, error) {
	acc, err := s.Store.OpenLink(ctx, domain.PurposeVerifyEmail, domain.HashLinkSecret(secret), s.Clock.Now())
	return acc, gone(err)
}

// RequestReset mails a password reset link to the account with email. When
// there is none (or it is disabled), the address gets a note saying so
// instead: the page is the same, a mail is sent either way, and the answer
// comes after AnswerFloor, so neither the answer nor its time tells whether
// the email has an account.
func (s *SelfService) RequestReset(ctx context.Context, email string) error {
	normalized, err := domain.NormalizeEmail(email)
	switch {
	case strings.TrimSpace(email) == "":
		return apperr.InvalidFields("The email address is missing.", apperr.Field("email", domain.RuleRequired))
	case err != nil:
		return apperr.InvalidFields("The email address is not valid.", apperr.Field("email", domain.RuleEmail))
	}
	defer s.evenly(ctx, time.Now())
	acc, err := s.Store.ByEmail(ctx, normalized)
	switch {
	case apperr.Is(err, apperr.NotFound) || err == nil && acc.Disabled:
		return s.Mailer.Send(ctx, noAccountMail(normalized, s.BaseURL+SignUpPath))
	case err != nil:
		return fmt.Errorf("request reset for %s: %w", normalized, err)
	}
	return s.mailLink(ctx, acc, domain.PurposeResetPassword, ttlOr(s.ResetTTL, ResetLinkTTL), ResetPasswordPath, resetMail)
}

// OpenReset tells whether a reset link works, without using it.
func (s *SelfService) OpenReset(ctx context.Context, secret string) (domain.Account, error) {
	acc, err := s.Store.OpenLink(ctx, domain.PurposeResetPassword, domain.HashLinkSecret(secret), s.Clock.Now())
	return acc, gone(err)
}

// ResetPassword sets a new password through a reset link. Every session of
// the account made before ends (a session is bound to its password hash),
// and the account is told by mail.
func (s *SelfService) ResetPassword(ctx context.Context, secret, password, confirm string) (domain.Account, error) {
	acc, err := s.OpenReset(ctx, secret)
	if err != nil {
		return domain.Account{}, err
	}
	if fields := domain.CheckNewPassword(password, confirm, acc.DisplayName, acc.Email, acc.Phone); len(fields) > 0 {
		return domain.Account{}, apperr.InvalidFields("The new password is not valid.", fields...)
	}
	hash, err := s.Passwords.Hash(password)
	if err != nil {
		return domain.Account{}, err
	}
	acc, err = s.Store.ResetPassword(ctx, domain.HashLinkSecret(secret), hash, s.Clock.Now())
	if err != nil {
		return domain.Account{}, gone(err)
	}
	s.notify(ctx, passwordChangedMail(acc, s.BaseURL+ForgotPath))
	return acc, nil
}

// ChangePassword replaces the password of the account id when current is its
// password. Every other session of the account ends; the caller starts the
// person's own again.
func (s *SelfService) ChangePassword(ctx context.Context, id uuid.UUID, current, password, confirm string) (domain.Account, error) {
	acc, err := s.Store.ByID(ctx, id)
	if err != nil {
		return domain.Account{}, fmt.Errorf("change password of %s: %w", id, err)
	}
	var fields []apperr.FieldError
	if current == "" {
		fields = append(fields, apperr.Field("current_password", domain.RuleRequired))
	} else if len(current) > 1024 || !s.Passwords.Matches(acc.PasswordHash, current) {
		fields = append(fields, apperr.Field("current_password", domain.RuleWrong))
	}
	fields = append(fields, domain.CheckNewPassword(password, confirm, acc.DisplayName, acc.Email, acc.Phone)...)
	if len(fields) > 0 {
		return domain.Account{}, apperr.InvalidFields("The password cannot be changed.", fields...)
	}
	hash, err := s.Passwords.Hash(password)
	if err != nil {
		return domain.Account{}, err
	}
	acc, err = s.Store.ChangePassword(ctx, id, acc.PasswordHash, hash, s.Clock.Now())
	if err != nil {
		return domain.Account{}, err
	}
	s.notify(ctx, passwordChangedMail(acc, s.BaseURL+ForgotPath))
	return acc, nil
}

// notify sends a notice of something already done: a mail server that is
// down does not undo it, so the failure is logged, not returned.
func (s *SelfService) notify(ctx context.Context, m Mail) {
	if err := s.Mailer.Send(ctx, m); err != nil && s.Log != nil {
		s.Log.WarnContext(ctx, "notice not sent", "subject", m.Subject, "error", err.Error())
	}
}

func (s *SelfService) link(path, secret string) string {
	return strings.TrimRight(s.BaseURL, "/") + path + "?token=" + url.QueryEscape(secret)
}

// gone marks a link that does not work with ErrLinkGone, keeping its NotFound.
func gone(err error) error {
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Code: apperr.NotFound, Message: "The link is not valid any more.", Err: ErrLinkGone}
	}
	return err
}

func ttlOr(ttl, def time.Duration) time.Duration {
	if ttl > 0 {
		return ttl
	}
	return def
}
