package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/services/licensing/internal/domain"
)

type queryer interface {
	sqlx.QueryerContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

type licenseTypeRow struct {
	Code           string    `db:"code"`
	Version        int       `db:"version"`
	EffectiveFrom  time.Time `db:"effective_from"`
	Name           string    `db:"name"`
	Risk           string    `db:"risk"`
	Requirements   []byte    `db:"requirements"`
	Fee            int64     `db:"fee"`
	SLADays        int       `db:"sla_days"`
	ValidityMonths int       `db:"validity_months"`
}

func (r licenseTypeRow) domain() (domain.LicenseType, error) {
	lt := domain.LicenseType{
		Code: r.Code, Version: r.Version, EffectiveFrom: r.EffectiveFrom, Name: r.Name, Risk: domain.RiskLevel(r.Risk),
		Fee: r.Fee, SLADays: r.SLADays, ValidityMonths: r.ValidityMonths,
	}
	var docs []requirementDoc
	if err := json.Unmarshal(r.Requirements, &docs); err != nil {
		return lt, fmt.Errorf("requirements of %s v%d: %w", r.Code, r.Version, err)
	}
	lt.Requirements = requirementsOf(docs)
	return lt, nil
}

const licenseTypeColumns = `code, version, effective_from, name, risk, requirements, fee, sla_days, validity_months`

// LicenseTypes returns the version of every license type in force at.
func (s *Store) LicenseTypes(ctx context.Context, at time.Time) ([]domain.LicenseType, error) {
	var rows []licenseTypeRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT DISTINCT ON (code) `+licenseTypeColumns+` FROM license_type
		WHERE effective_from <= $1 ORDER BY code, effective_from DESC`, at)
	if err != nil {
		return nil, wrap(err, "list license types")
	}
	out := make([]domain.LicenseType, 0, len(rows))
	for _, r := range rows {
		lt, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, lt)
	}
	return out, nil
}

type kbliRuleRow struct {
	KBLI          string    `db:"kbli"`
	Version       int       `db:"version"`
	EffectiveFrom time.Time `db:"effective_from"`
	Title         string    `db:"title"`
	Sector        string    `db:"sector"`
	SizeMetric    string    `db:"size_metric"`
	Bands         []byte    `db:"bands"`
}

func (r kbliRuleRow) domain() (domain.KBLIRule, error) {
	k := domain.KBLIRule{KBLI: r.KBLI, Version: r.Version, EffectiveFrom: r.EffectiveFrom, Title: r.Title, Sector: r.Sector, SizeMetric: r.SizeMetric}
	var docs []bandDoc
	if err := json.Unmarshal(r.Bands, &docs); err != nil {
		return k, fmt.Errorf("bands of KBLI %s v%d: %w", r.KBLI, r.Version, err)
	}
	k.Bands = bandsOf(docs)
	return k, nil
}

// KBLIRules returns the rule of every KBLI code in force at.
func (s *Store) KBLIRules(ctx context.Context, at time.Time) ([]domain.KBLIRule, error) {
	var rows []kbliRuleRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT DISTINCT ON (kbli) kbli, version, effective_from, title, sector, size_metric, bands FROM kbli_rule
		WHERE effective_from <= $1 ORDER BY kbli, effective_from DESC`, at)
	if err != nil {
		return nil, wrap(err, "list KBLI rules")
	}
	out := make([]domain.KBLIRule, 0, len(rows))
	for _, r := range rows {
		k, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// Determine answers "what do I need" for a KBLI, a scale and a size figure,
// by the rules in force at.
func (s *Store) Determine(ctx context.Context, kbli string, scale domain.Scale, size int64, at time.Time) (domain.Determination, error) {
	return determine(ctx, s.db, kbli, scale, size, at)
}

// Determine reads the rules inside the transaction (at submission).
func (t *Tx) Determine(ctx context.Context, kbli string, scale domain.Scale, size int64, at time.Time) (domain.Determination, error) {
	return determine(ctx, t.tx, kbli, scale, size, at)
}

func determine(ctx context.Context, q queryer, kbli string, scale domain.Scale, size int64, at time.Time) (domain.Determination, error) {
	if !domain.ValidKBLI(kbli) {
		return domain.Determination{}, apperr.InvalidFields("the KBLI code is not valid", apperr.Field("kbli", "a KBLI code has 5 digits"))
	}
	if !scale.Valid() {
		return domain.Determination{}, apperr.InvalidFields("the scale is not valid", apperr.Field("scale", "scale must be one of micro, small, medium, large"))
	}
	// One round trip: the rule in force, and every license type in force
	// that one of its bands names (the band is chosen in Go).
	var rows []struct {
		RuleVersion       int       `db:"rule_version"`
		RuleEffectiveFrom time.Time `db:"rule_effective_from"`
		Title             string    `db:"title"`
		Sector            string    `db:"sector"`
		SizeMetric        string    `db:"size_metric"`
		Bands             []byte    `db:"bands"`
		licenseTypeRow
	}
	err := q.SelectContext(ctx, &rows, `
		WITH rule AS (
			SELECT kbli, version AS rule_version, effective_from AS rule_effective_from, title, sector, size_metric, bands
			FROM kbli_rule WHERE kbli = $1 AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1
		)
		SELECT r.rule_version, r.rule_effective_from, r.title, r.sector, r.size_metric, r.bands, lt.code, lt.version, lt.effective_from, lt.name, lt.risk, lt.requirements, lt.fee,
		       lt.sla_days, lt.validity_months
		FROM rule r
		CROSS JOIN LATERAL (
			SELECT DISTINCT ON (t.code) t.* FROM license_type t
			WHERE t.code IN (SELECT b->>'license_type' FROM jsonb_array_elements(r.bands) b) AND t.effective_from <= $2
			ORDER BY t.code, t.effective_from DESC
		) lt`, kbli, at)
	if err != nil {
		return domain.Determination{}, wrap(err, "determine KBLI %s", kbli)
	}
	if len(rows) == 0 {
		return domain.Determination{}, apperr.New(apperr.NotFound, "KBLI %s is not in the catalog", kbli)
	}
	first := rows[0]
	rule, err := kbliRuleRow{KBLI: kbli, Version: first.RuleVersion, EffectiveFrom: first.RuleEffectiveFrom, Title: first.Title,
		Sector: first.Sector, SizeMetric: first.SizeMetric, Bands: first.Bands}.domain()
	if err != nil {
		return domain.Determination{}, err
	}
	band, err := rule.Band(scale, size)
	if err != nil {
		return domain.Determination{}, err
	}
	for _, r := range rows {
		if r.licenseTypeRow.Code == band.LicenseType {
			lt, err := r.licenseTypeRow.domain()
			if err != nil {
				return domain.Determination{}, err
			}
			return domain.Determination{Rule: rule, Band: band, LicenseType: lt}, nil
		}
	}
	return domain.Determination{}, fmt.Errorf("KBLI %s v%d names license type %s, which is not in force", kbli, rule.Version, band.LicenseType)
}

// Holidays returns the holiday calendar.
func (s *Store) Holidays(ctx context.Context) ([]domain.Holiday, error) {
	var rows []struct {
		Day  time.Time `db:"day"`
		Name string    `db:"name"`
		Kind string    `db:"kind"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT day, name, kind FROM holiday ORDER BY day`); err != nil {
		return nil, wrap(err, "list holidays")
	}
	out := make([]domain.Holiday, len(rows))
	for i, r := range rows {
		out[i] = domain.Holiday{Date: r.Day.Format(time.DateOnly), Name: r.Name, Kind: r.Kind}
	}
	return out, nil
}
