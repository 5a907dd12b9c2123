package domain

import (
	"regexp"
	"strings"
	"time"
)

// What the public pages show, as the services answer it: licensing's
// license verification and tender's announcements and opening records. The
// portal owns none of it; these are its read views.

// LicenseStatus is a license's live status in licensing.
type LicenseStatus string

const (
	LicenseActive    LicenseStatus = "active"
	LicenseSuspended LicenseStatus = "suspended"
	LicenseRevoked   LicenseStatus = "revoked"
	LicenseExpired   LicenseStatus = "expired"
)

// licenseNumber is the form licensing gives license numbers (LIC-2026-000123).
var licenseNumber = regexp.MustCompile(`^LIC-[0-9]{4}-[0-9]{6,}$`)

// NormalizeLicenseNumber returns number as licensing writes it (trimmed,
// upper case: people type "lic-2026-000123" from paper) and whether it has
// the form of a license number at all.
func NormalizeLicenseNumber(number string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(number))
	return n, licenseNumber.MatchString(n)
}

// LicenseVerification is licensing's public answer about a license number.
type LicenseVerification struct {
	Genuine     bool
	Number      string
	HolderName  string
	NIB         string
	KBLI        string
	LicenseName string
	Status      LicenseStatus
	ValidFrom   time.Time
	ValidUntil  *time.Time // nil: valid while the business runs
}

// StatusAt is the status to show at now: licensing expires licenses on a
// schedule, so an active license whose validity has ended is shown expired
// even before the scheduler has run.
func (v LicenseVerification) StatusAt(now time.Time) LicenseStatus {
	return statusAt(v.Status, v.ValidUntil, now)
}

func statusAt(s LicenseStatus, until *time.Time, now time.Time) LicenseStatus {
	if s == LicenseActive && until != nil && !now.Before(*until) {
		return LicenseExpired
	}
	return s
}

// Money is an amount of whole rupiah.
type Money struct {
	Amount   int64
	Currency string // IDR
}

// Tender is a published tender as the public sees it.
type Tender struct {
	ID                string
	Number            string
	State             string // draft, announced, tendering, opening, evaluation, award_proposed, objection_period, awarded, contracted, cancelled, failed
	Amendment         int
	BuyerAgency       string
	Title             string
	Description       string
	Category          string // goods, works, consulting, other_services
	HPS               *Money // the owner's estimate; nil unless the tender publishes it
	KBLI              string
	ProcurementMethod string
	EvaluationMethod  string // lowest_price, quality_cost, merit_points
	BidSecurity       *Money // nil or zero: none asked
	BidPeriodStart    time.Time
	BidDeadline       time.Time
	ObjectionDays     int
	PublishedAt       *time.Time
	ObjectionEndsAt   *time.Time
	Reason            string // why it was cancelled or failed
}

// TenderSearch is what a reader looks for in the tender list: words, a
// KBLI, part of a buyer's name, a category, a state, a window of the bid
// deadline. Tender checks it; the zero value finds every published tender.
type TenderSearch struct {
	Words, KBLI, Buyer, Category, State string
	DeadlineFrom, DeadlineTo            *time.Time // from inclusive, to exclusive
}

// TenderPage is one page of published tenders, newest first.
type TenderPage struct {
	Items      []Tender
	NextCursor string // empty on the last page
}

// TenderResult is a tender's public result once its award is announced:
// the ranking by the tender's method, the bids out and why, the winner and
// its reserves (bid ids).
type TenderResult struct {
	Method       string
	Ranking      []RankedBid
	Disqualified []OutBid
	Winner       string
	Reserves     []string
}

// RankedBid is one bid in the ranking; scores in hundredths of a point.
type RankedBid struct {
	Rank                       int
	BidID, Vendor              string
	Price                      int64 // whole rupiah
	TechnicalScore, PriceScore int64
	Total                      int64
	BelowEightyPercentOfTheHPS bool
}

// OutBid is a bid out of the ranking, with why.
type OutBid struct {
	BidID, Vendor, Reason string
}

// Opening is the public record of a tender's bid opening.
type Opening struct {
	TenderID  string
	OpenedAt  time.Time
	ValidBids int
	Bids      []OpenedBid
}

// OpenedBid is one bid as opened.
type OpenedBid struct {
	BidID        string
	Vendor       string
	VendorName   string // the business's name, "" when tender has none
	SubmittedAt  time.Time
	Price        *Money // nil when the sealed bid could not be read
	DecryptError string
	Disqualified string // empty when the bid goes on to evaluation
}
