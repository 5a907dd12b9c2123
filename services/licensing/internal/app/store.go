package app

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/audit"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/journal"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/domain"
)

// The ports of the use cases: what they need of storage, declared here and
// satisfied by internal/adapters/postgres. They take and return domain
// types and the read models below, never a storage type.

// ApplicationRecord is an application as the use cases read it: the
// domain application with what only storage knows.
type ApplicationRecord struct {
	domain.Application
	PaymentInvoiceID string
	// Holder is the business applying (ID, NIB, name, owner) when the
	// record was read locked; zero otherwise.
	Holder domain.Business
}

// BusinessRecord is a business with its registration time and version.
type BusinessRecord struct {
	domain.Business
	CreatedAt time.Time
	Version   int
}

// LicenseRecord is a license with its last status reason.
type LicenseRecord struct {
	domain.License
	StatusReason string
}

// ErrNIBTaken is what Tx.InsertBusiness returns when the drawn NIB is held
// by another business: the use case draws again.
var ErrNIBTaken = errors.New("the NIB is taken")

// Store is the licensing database outside a transaction, and the way into
// one.
type Store interface {
	// InTx runs fn in one transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Join returns a Tx over a transaction begun elsewhere (an event
	// consumer's, whose inbox row commits with the effect).
	Join(tx *sqlx.Tx) Tx

	Application(ctx context.Context, id, owner string) (ApplicationRecord, error)
	// Trail is the audit records of application id, in the order written.
	Trail(ctx context.Context, id string) ([]audit.Recorded, error)
	Applications(ctx context.Context, owner string, p keyset.Page) ([]ApplicationRecord, string, error)
	// ReviewQueue lists the applications sel selects, by SLA due date
	// (those without one last).
	ReviewQueue(ctx context.Context, sel domain.QueueSelection, p keyset.Page) ([]ApplicationRecord, string, error)
	// CountReviewQueue counts, in one read, the applications in states
	// overdue at now (due at or before it) and those due after now and
	// before endOfToday.
	CountReviewQueue(ctx context.Context, states []domain.State, now, endOfToday time.Time) (domain.QueueCounts, error)

	Business(ctx context.Context, id, owner string) (BusinessRecord, error)
	Businesses(ctx context.Context, owner string, p keyset.Page) ([]BusinessRecord, string, error)

	LicenseTypes(ctx context.Context, at time.Time) ([]domain.LicenseType, error)
	KBLIRules(ctx context.Context, at time.Time) ([]domain.KBLIRule, error)
	Determine(ctx context.Context, kbli string, scale domain.Scale, size int64, at time.Time) (domain.Determination, error)
	Holidays(ctx context.Context) ([]domain.Holiday, error)

	Documents(ctx context.Context, applicationID string) ([]domain.Document, error)
	Document(ctx context.Context, applicationID, id string) (domain.Document, error)

	LicenseOfApplication(ctx context.Context, applicationID string) (LicenseRecord, error)
	LicenseByNumber(ctx context.Context, number string) (LicenseRecord, error)
	Licenses(ctx context.Context, owner string, p keyset.Page) ([]LicenseRecord, string, error)
}

// Tx is one transaction of a state change: the state, its events and its
// audit records commit together.
type Tx interface {
	// Claim and Store keep the Idempotency-Key of a create in this
	// transaction (pkg/idempotency).
	Claim(ctx context.Context, k idempotency.Key, answer any) (bool, error)
	Store(ctx context.Context, k idempotency.Key, answer any) error
	// Publish and Audit write through pkg/journal.
	Publish(ctx context.Context, e journal.Event) error
	Audit(ctx context.Context, e audit.Entry) error

	InsertBusiness(ctx context.Context, b domain.Business, now time.Time) (BusinessRecord, error)
	Business(ctx context.Context, id, owner string) (BusinessRecord, error)
	LockBusiness(ctx context.Context, id, owner string) (BusinessRecord, error)
	SaveBusiness(ctx context.Context, b domain.Business) error

	InsertApplication(ctx context.Context, a domain.Application) (domain.Application, error)
	LockApplication(ctx context.Context, id, owner string) (ApplicationRecord, error)
	SaveApplication(ctx context.Context, a domain.Application, paymentInvoiceID string) error
	// LockOverdue locks up to limit applications in states whose SLA ran
	// out by now, skipping rows another scheduler holds.
	LockOverdue(ctx context.Context, states []domain.State, now time.Time, limit int) ([]ApplicationRecord, error)

	Determine(ctx context.Context, kbli string, scale domain.Scale, size int64, at time.Time) (domain.Determination, error)
	InsertDocument(ctx context.Context, d domain.Document) (domain.Document, error)
	BlobInUse(ctx context.Context, key string) (bool, error)
	UploadedRequirements(ctx context.Context, applicationID string) ([]string, error)

	NextLicenseSerial(ctx context.Context) (int64, error)
	InsertLicense(ctx context.Context, l domain.License) (domain.License, error)
	LockLicense(ctx context.Context, id string) (LicenseRecord, error)
	SetLicenseStatus(ctx context.Context, id string, status domain.LicenseStatus, reason string, now time.Time) error
	// LockExpiring and LockToRemind lock up to limit licenses in statuses
	// whose validity ends by the time given, skipping rows another
	// scheduler holds.
	LockExpiring(ctx context.Context, statuses []domain.LicenseStatus, now time.Time, limit int) ([]LicenseRecord, error)
	LockToRemind(ctx context.Context, statuses []domain.LicenseStatus, before time.Time, limit int) ([]LicenseRecord, error)
	MarkReminded(ctx context.Context, id string, now time.Time) error
}
