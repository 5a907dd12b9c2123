package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

// The vendor's side of a tender, done in the portal as the signed-in
// business: its questions, its bid and the bid's receipts. Tender decides
// who may bid and until when; the portal says it before the vendor tries.

// Bidding is what the vendor's pages ask of tender. Failures are apperr
// errors, as LicensingDesk's: Forbidden names a license the vendor lacks,
// Conflict a deadline passed (with the server's time), Invalid the fields.
type Bidding interface {
	// Clarifications are the tender's public questions and answers.
	Clarifications(ctx context.Context, tenderID string) ([]domain.Clarification, error)
	AskQuestion(ctx context.Context, token, tenderID, question string) error
	// MyBids are the vendor's bids on the tender, oldest first.
	MyBids(ctx context.Context, token, tenderID string) ([]domain.Bid, error)
	MyBid(ctx context.Context, token, tenderID, bidID string) (domain.Bid, error)
	// SubmitBid takes an idempotency key: the same key again gets the same
	// bid and receipt, not a second bid.
	SubmitBid(ctx context.Context, token, tenderID, key string, in domain.BidInput) (domain.Bid, error)
	ReplaceBid(ctx context.Context, token, tenderID, bidID string, in domain.BidInput) (domain.Bid, error)
	WithdrawBid(ctx context.Context, token, tenderID, bidID string) (domain.Bid, error)
	// MySecurity is the vendor's bid security on the tender; NotFound while
	// none was asked.
	MySecurity(ctx context.Context, token, tenderID string) (domain.BidSecurity, error)
	// ReceiptKeys are the published keys receipts are signed with.
	ReceiptKeys(ctx context.Context) ([]domain.ReceiptKey, error)
}

// Holdings are the signed-in business's licenses (licensing, as the
// holder).
type Holdings interface {
	MyLicenses(ctx context.Context, token string) ([]domain.IssuedLicense, error)
}

// VendorView is what a tender's page shows the signed-in vendor beside the
// announcement: the questions asked, whether it may bid, and its bid.
type VendorView struct {
	Questions []domain.Clarification
	// Qualified is whether the vendor holds an active license for the
	// tender's KBLI (tender checks the same when the bid arrives).
	Qualified bool
	Bid       *domain.Bid // the vendor's standing bid, else its latest; nil for none
	Open      bool        // bids are accepted now (by the server's clock)
}

// OpenForBids is whether t takes bids at now.
func OpenForBids(t domain.Tender, now time.Time) bool {
	return t.State == "tendering" && !now.Before(t.BidPeriodStart) && now.Before(t.BidDeadline)
}

// VendorTender reads, at once, the questions of tender t, the vendor's
// bids and, while t takes bids, its licenses. token "" (nobody signed in,
// or not a business) reads the questions only.
func VendorTender(ctx context.Context, b Bidding, h Holdings, token string, t domain.Tender, now time.Time) (VendorView, error) {
	v := VendorView{Open: OpenForBids(t, now)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if v.Questions, err = b.Clarifications(gctx, t.ID); err != nil {
			return fmt.Errorf("questions of tender %s: %w", t.ID, err)
		}
		return nil
	})
	if token != "" && v.Open { // qualification matters while bids are taken
		g.Go(func() error {
			ls, err := h.MyLicenses(gctx, token)
			if err != nil {
				return fmt.Errorf("licenses of the vendor: %w", err)
			}
			v.Qualified = slices.ContainsFunc(ls, func(l domain.IssuedLicense) bool {
				return l.KBLI == t.KBLI && l.StatusAt(now) == domain.LicenseActive
			})
			return nil
		})
	}
	if token != "" {
		g.Go(func() error {
			bids, err := b.MyBids(gctx, token, t.ID)
			if err != nil {
				return fmt.Errorf("bids on tender %s: %w", t.ID, err)
			}
			v.Bid = standing(bids)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return VendorView{}, err
	}
	return v, nil
}

// standing is the bid that stands among bids, else the latest.
func standing(bids []domain.Bid) *domain.Bid {
	if len(bids) == 0 {
		return nil
	}
	for i := len(bids) - 1; i >= 0; i-- {
		if bids[i].Live() {
			return &bids[i]
		}
	}
	return &bids[len(bids)-1]
}

// SecurityView is the vendor's bid security with payment's invoice for it
// (nil until payment has issued it).
type SecurityView struct {
	domain.BidSecurity
	Invoice *domain.Invoice
}

// Unpaid is whether the security waits for the vendor's payment.
func (v SecurityView) Unpaid() bool { return v.State == "requested" }

// VendorSecurity reads the vendor's bid security on tenderID and, while it
// is unpaid, its invoice; nil when none was asked.
func VendorSecurity(ctx context.Context, b Bidding, fees Fees, token, tenderID string) (*SecurityView, error) {
	sec, err := b.MySecurity(ctx, token, tenderID)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("bid security on tender %s: %w", tenderID, err)
	}
	v := &SecurityView{BidSecurity: sec}
	if !v.Unpaid() {
		return v, nil
	}
	inv, err := InvoiceFor(ctx, fees, token, sec.ID)
	switch {
	case apperr.Is(err, apperr.NotFound): // payment has not issued it yet
	case err != nil:
		return nil, fmt.Errorf("invoice of bid security %s: %w", sec.ID, err)
	default:
		v.Invoice = &inv
	}
	return v, nil
}
