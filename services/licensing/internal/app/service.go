// Package app holds the licensing use cases: each takes the caller and
// domain input, runs one short transaction that writes the state change, its
// outbox events and its audit records, and returns domain types.
package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/caller"
	"gerbang/pkg/clock"
	"gerbang/services/licensing/internal/domain"
)

// Source is the CloudEvents source of the licensing service's events.
const Source = "/licensing"

// Service runs the licensing use cases.
type Service struct {
	store Store
	clock clock.Clock
	log   *slog.Logger

	signing           *auth.KeyRing
	verifyURL         string
	blobs             Blobs
	renderCertificate func(domain.Certificate) ([]byte, error)
	random            io.Reader

	calMu       sync.Mutex
	cal         domain.Calendar
	calLoadedAt time.Time
}

// Options are the service's keys and addresses.
type Options struct {
	// SigningKeys is the ring whose current key signs the JSON form of
	// licenses; every key of it is published at
	// /.well-known/license-keys.json, so licenses signed before a rotation
	// still verify. Nil: licenses are not signed.
	SigningKeys *auth.KeyRing
	// VerifyURL is the public verification page; a license's QR code points
	// to VerifyURL/<number>.
	VerifyURL string
	// Blobs keeps the bytes of documents.
	Blobs Blobs
	// RenderCertificate renders a license's PDF certificate with a QR code
	// to its verification page (adapters/certificate.Render).
	RenderCertificate func(domain.Certificate) ([]byte, error)
	// Random draws NIBs (nil: crypto/rand); tests pass their own to make
	// two draws collide.
	Random io.Reader
}

// Blobs is a blob store (local files by default).
type Blobs interface {
	// Put stores data under key and reports whether the key was new.
	Put(ctx context.Context, key string, data []byte) (created bool, err error)
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// DefaultVerifyURL is the portal's public verification page.
const DefaultVerifyURL = "http://127.0.0.1:8080/verify"

// New returns the use cases over store, telling time by clk.
func New(store Store, clk clock.Clock, log *slog.Logger, opts Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.VerifyURL == "" {
		opts.VerifyURL = DefaultVerifyURL
	}
	return &Service{store: store, clock: clk, log: log, signing: opts.SigningKeys, blobs: opts.Blobs, renderCertificate: opts.RenderCertificate, random: opts.Random, verifyURL: strings.TrimRight(opts.VerifyURL, "/")}
}

// calendarTTL is how long the holiday calendar is kept before it is read
// again, so a holiday added to the table is taken up without a restart.
const calendarTTL = 5 * time.Minute

// Calendar returns the SLA calendar from the holiday table.
func (s *Service) Calendar(ctx context.Context) (domain.Calendar, error) {
	s.calMu.Lock()
	defer s.calMu.Unlock()
	if !s.calLoadedAt.IsZero() && time.Since(s.calLoadedAt) < calendarTTL {
		return s.cal, nil
	}
	hs, err := s.store.Holidays(ctx)
	if err != nil {
		return domain.Calendar{}, err
	}
	cal, err := domain.NewCalendar(hs)
	if err != nil {
		return domain.Calendar{}, err
	}
	s.cal, s.calLoadedAt = cal, time.Now()
	return cal, nil
}

// ownerOf returns the subject whose records a caller may see: officers and
// auditors see every record (""), a business only its own.
func ownerOf(c caller.Caller) string {
	if c.HasAnyRole(caller.RoleLicensingOfficer, caller.RoleAuditor) {
		return ""
	}
	return c.Subject
}

// mustBeApplicant checks that the caller acts as a business.
func mustBeApplicant(c caller.Caller) error {
	if !c.HasRole(caller.RoleBusiness) {
		return apperr.New(apperr.Forbidden, "only a business applicant may do this")
	}
	return nil
}

// mustBeOfficer checks that the caller is a licensing officer.
func mustBeOfficer(c caller.Caller) error {
	if !c.HasRole(caller.RoleLicensingOfficer) {
		return apperr.New(apperr.Forbidden, "only a licensing officer may do this")
	}
	return nil
}

// checkVersion refuses a change to a record whose version is not the one
// the caller read (If-Match); expect 0 asks for no check.
func checkVersion(what string, expect, current int) *apperr.Error {
	if expect == 0 || expect == current {
		return nil
	}
	return apperr.New(apperr.PreconditionFailed, "the %s changed since you read it (version %d is now %d); reload it and try again",
		what, expect, current).With("current_version", current)
}
