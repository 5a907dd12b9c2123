package domain

import (
	"fmt"
	"time"

	"gerbang/pkg/apperr"
)

// RiskLevel is the OSS-RBA risk of a business activity (risk = hazard x
// likelihood, with the business's scale).
type RiskLevel string

const (
	RiskLow        RiskLevel = "low"         // the NIB is enough
	RiskMediumLow  RiskLevel = "medium_low"  // a self-declared standard certificate, issued at once
	RiskMediumHigh RiskLevel = "medium_high" // a standard certificate verified by an officer
	RiskHigh       RiskLevel = "high"        // a license (izin) after review
)

// RiskLevels lists the levels from lowest to highest.
func RiskLevels() []RiskLevel {
	return []RiskLevel{RiskLow, RiskMediumLow, RiskMediumHigh, RiskHigh}
}

// Valid reports whether r is a known level.
func (r RiskLevel) Valid() bool {
	for _, v := range RiskLevels() {
		if v == r {
			return true
		}
	}
	return false
}

// NeedsReview reports whether an application at this risk goes to an
// officer; low and medium-low are issued without review.
func (r RiskLevel) NeedsReview() bool { return r == RiskMediumHigh || r == RiskHigh }

// Requirement is a document an application must carry.
type Requirement struct {
	Code        string // e.g. "floor_plan"
	Name        string // for people
	MaxBytes    int64  // size limit of the upload
	ContentType string // "pdf", "image" (PNG or JPEG) or "any" (PDF, PNG or JPEG)
}

// LicenseType is one version of a license type of the catalog. Versions of
// one code are effective-dated: the one in force at a time is the latest
// whose EffectiveFrom is not after it.
type LicenseType struct {
	Code           string
	Version        int
	EffectiveFrom  time.Time
	Name           string
	Risk           RiskLevel
	Requirements   []Requirement
	Fee            int64 // whole rupiah
	SLADays        int   // working days the government has to decide
	ValidityMonths int   // 0: valid while the business runs
}

// RiskBand is one row of a KBLI's risk rule: a business at least MinScale,
// or with a size figure at least MinSize, falls in this band or a higher one.
type RiskBand struct {
	MinScale    Scale
	MinSize     int64
	Risk        RiskLevel
	LicenseType string
}

// KBLIRule is one version of the risk rule of a KBLI code.
type KBLIRule struct {
	KBLI          string
	Version       int
	EffectiveFrom time.Time
	Title         string
	Sector        string
	SizeMetric    string     // the figure the risk depends on ("rooms", "head_count"), "" when only the scale counts
	Bands         []RiskBand // from lowest to highest; the first has no minimum
}

// Determination answers "what do I need" for an activity.
type Determination struct {
	Rule        KBLIRule
	Band        RiskBand
	LicenseType LicenseType
}

// Band picks the band of a business of the given scale and size: the
// highest band whose scale or size minimum the business reaches.
func (r KBLIRule) Band(scale Scale, size int64) (RiskBand, error) {
	if len(r.Bands) == 0 {
		return RiskBand{}, fmt.Errorf("KBLI %s v%d has no risk bands", r.KBLI, r.Version)
	}
	if !scale.Valid() {
		return RiskBand{}, apperr.InvalidFields("the scale is not valid", apperr.Field("scale", "scale must be one of micro, small, medium, large"))
	}
	if size < 0 {
		return RiskBand{}, apperr.InvalidFields("the size is not valid", apperr.Field("size", "a size figure cannot be negative"))
	}
	chosen := r.Bands[0]
	for _, b := range r.Bands[1:] {
		byScale := b.MinScale != "" && scale.Rank() >= b.MinScale.Rank()
		bySize := b.MinSize > 0 && r.SizeMetric != "" && size >= b.MinSize
		if byScale || bySize {
			chosen = b
		}
	}
	return chosen, nil
}

// Validate checks a rule's shape (used for seed data and by tests).
func (r KBLIRule) Validate() error {
	if !ValidKBLI(r.KBLI) {
		return fmt.Errorf("KBLI %q is not 5 digits", r.KBLI)
	}
	if len(r.Bands) == 0 {
		return fmt.Errorf("KBLI %s has no bands", r.KBLI)
	}
	for i, b := range r.Bands {
		if !b.Risk.Valid() || b.LicenseType == "" {
			return fmt.Errorf("KBLI %s band %d: bad risk %q or license type %q", r.KBLI, i, b.Risk, b.LicenseType)
		}
		if i == 0 && (b.MinScale != "" || b.MinSize != 0) {
			return fmt.Errorf("KBLI %s: the first band has no minimum", r.KBLI)
		}
	}
	return nil
}
