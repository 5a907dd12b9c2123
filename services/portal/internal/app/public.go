package app

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

// The public pages: license verification and tender announcements, read
// from the services' public APIs (adapters/services).

const (
	// LicenseNotFound answers a number no license has, or one that is not a
	// license number at all.
	LicenseNotFound = "Izin tidak ditemukan / License not found"
	// TenderNotFound answers an id no published tender has.
	TenderNotFound = "Tender tidak ditemukan / Tender not found"
)

// LicenseRegistry verifies licenses (licensing's public API). Unknown
// numbers are an apperr NotFound; a licensing service that cannot answer is
// an apperr Unavailable.
type LicenseRegistry interface {
	VerifyLicense(ctx context.Context, number string) (domain.LicenseVerification, error)
}

// TenderBoard reads published tenders (tender's public API), with the same
// errors as LicenseRegistry.
type TenderBoard interface {
	// PublicTenders are those search finds, a page after cursor.
	PublicTenders(ctx context.Context, search domain.TenderSearch, limit int, cursor string) (domain.TenderPage, error)
	PublicTender(ctx context.Context, id string) (domain.Tender, error)
	// PublicResult is NotFound until the award is announced.
	PublicResult(ctx context.Context, id string) (domain.TenderResult, error)
	// PublicOpening is NotFound until the bids are opened.
	PublicOpening(ctx context.Context, id string) (domain.Opening, error)
}

// VerifyLicense returns licensing's answer about number. A number that
// cannot be a license number is not found without asking licensing.
func VerifyLicense(ctx context.Context, licenses LicenseRegistry, number string) (domain.LicenseVerification, error) {
	n, ok := domain.NormalizeLicenseNumber(number)
	if !ok {
		return domain.LicenseVerification{}, apperr.New(apperr.NotFound, LicenseNotFound)
	}
	return licenses.VerifyLicense(ctx, n)
}

// TenderDetail is a tender with its opening record once there is one.
type TenderDetail struct {
	Tender  domain.Tender
	Opening *domain.Opening
	Result  *domain.TenderResult // once the award is announced
}

// afterAnnouncement are the states in which a tender has a public result.
var afterAnnouncement = map[string]bool{"objection_period": true, "awarded": true, "contracted": true}

// beforeOpening are the states in which a tender has no opening record yet.
var beforeOpening = map[string]bool{"draft": true, "announced": true, "tendering": true}

// GetTenderDetail returns the published tender id and, after its bids were
// opened, the opening record.
func GetTenderDetail(ctx context.Context, tenders TenderBoard, id string) (TenderDetail, error) {
	if uuid.Validate(id) != nil {
		return TenderDetail{}, apperr.New(apperr.NotFound, TenderNotFound)
	}
	t, err := tenders.PublicTender(ctx, id)
	if err != nil {
		return TenderDetail{}, err
	}
	d := TenderDetail{Tender: t}
	if beforeOpening[t.State] {
		return d, nil
	}
	op, err := tenders.PublicOpening(ctx, id)
	switch {
	case apperr.Is(err, apperr.NotFound): // cancelled or failed before any opening
	case err != nil:
		return TenderDetail{}, fmt.Errorf("opening of tender %s: %w", id, err)
	default:
		d.Opening = &op
	}
	if !afterAnnouncement[t.State] {
		return d, nil
	}
	res, err := tenders.PublicResult(ctx, id)
	switch {
	case apperr.Is(err, apperr.NotFound):
	case err != nil:
		return TenderDetail{}, fmt.Errorf("result of tender %s: %w", id, err)
	default:
		d.Result = &res
	}
	return d, nil
}
