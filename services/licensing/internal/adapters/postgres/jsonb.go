package postgres

import "gerbang/services/licensing/internal/domain"

// The jsonb columns' documents (application.terms, license_type.requirements,
// kbli_rule.bands), mapped to and from the domain field by field: the domain
// carries no storage tags, and a renamed domain field does not silently
// change what is stored.

type requirementDoc struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	MaxBytes    int64  `json:"max_bytes"`
	ContentType string `json:"content_type"`
}

type termsDoc struct {
	LicenseType    string           `json:"license_type"`
	LicenseName    string           `json:"license_name"`
	TypeVersion    int              `json:"type_version"`
	RuleVersion    int              `json:"rule_version"`
	Risk           string           `json:"risk"`
	Fee            int64            `json:"fee"`
	SLADays        int              `json:"sla_days"`
	ValidityMonths int              `json:"validity_months"`
	Requirements   []requirementDoc `json:"requirements"`
}

type bandDoc struct {
	MinScale    string `json:"min_scale,omitempty"`
	MinSize     int64  `json:"min_size,omitempty"`
	Risk        string `json:"risk"`
	LicenseType string `json:"license_type"`
}

func requirementDocs(rs []domain.Requirement) []requirementDoc {
	out := make([]requirementDoc, len(rs))
	for i, r := range rs {
		out[i] = requirementDoc{Code: r.Code, Name: r.Name, MaxBytes: r.MaxBytes, ContentType: r.ContentType}
	}
	return out
}

func requirementsOf(ds []requirementDoc) []domain.Requirement {
	out := make([]domain.Requirement, len(ds))
	for i, d := range ds {
		out[i] = domain.Requirement{Code: d.Code, Name: d.Name, MaxBytes: d.MaxBytes, ContentType: d.ContentType}
	}
	return out
}

func termsDocOf(t domain.Terms) termsDoc {
	return termsDoc{
		LicenseType: t.LicenseType, LicenseName: t.LicenseName, TypeVersion: t.TypeVersion, RuleVersion: t.RuleVersion,
		Risk: string(t.Risk), Fee: t.Fee, SLADays: t.SLADays, ValidityMonths: t.ValidityMonths, Requirements: requirementDocs(t.Requirements),
	}
}

func (d termsDoc) domain() domain.Terms {
	return domain.Terms{
		LicenseType: d.LicenseType, LicenseName: d.LicenseName, TypeVersion: d.TypeVersion, RuleVersion: d.RuleVersion,
		Risk: domain.RiskLevel(d.Risk), Fee: d.Fee, SLADays: d.SLADays, ValidityMonths: d.ValidityMonths, Requirements: requirementsOf(d.Requirements),
	}
}

func bandsOf(ds []bandDoc) []domain.RiskBand {
	out := make([]domain.RiskBand, len(ds))
	for i, d := range ds {
		out[i] = domain.RiskBand{MinScale: domain.Scale(d.MinScale), MinSize: d.MinSize, Risk: domain.RiskLevel(d.Risk), LicenseType: d.LicenseType}
	}
	return out
}

// revisionDoc is one element of application.revisions.
type revisionDoc struct {
	Requirement string `json:"requirement"`
	Note        string `json:"note"`
}

func revisionDocs(rs []domain.Revision) []revisionDoc {
	out := make([]revisionDoc, len(rs))
	for i, r := range rs {
		out[i] = revisionDoc{Requirement: r.Requirement, Note: r.Note}
	}
	return out
}

func revisionsOf(docs []revisionDoc) []domain.Revision {
	if len(docs) == 0 {
		return nil
	}
	out := make([]domain.Revision, len(docs))
	for i, d := range docs {
		out[i] = domain.Revision{Requirement: d.Requirement, Note: d.Note}
	}
	return out
}
