// Package ocds publishes tenders as Open Contracting Data Standard 1.1
// releases and records: one ocid per tender, a release per published step
// (tender, amendments, award, final award, contract, cancellation or
// failure), with codelist values from the OCDS codelists only.
package ocds

import (
	"fmt"
	"sort"
	"time"

	"gerbang/services/tender/internal/domain"
)

// Version is the OCDS schema version of every package.
const Version = "1.1"

// Process is everything published about one tender.
type Process struct {
	Tender    *domain.Tender
	Addenda   []Addendum
	Opening   *Opening
	Award     *Award
	Contract  *Contract
	Objection *time.Time // when the objection period ended, if it did
}

// Addendum is one published amendment.
type Addendum struct {
	Number           int
	At               time.Time
	DeadlineExtended bool
}

// Opening is the opening's public outcome.
type Opening struct {
	At        time.Time
	Tenderers []string // vendor ids, in order of submission
}

// Award is the proposed (and maybe final) award.
type Award struct {
	BidID       string
	Vendor      string
	Value       int64
	AnnouncedAt *time.Time // nil: not public yet
	FinalisedAt *time.Time
}

// Contract is the contract record.
type Contract struct {
	ID       string
	Number   string
	Vendor   string
	Value    int64
	SignedAt time.Time
}

// Publisher names who publishes, and where.
type Publisher struct {
	Name      string
	Prefix    string // the ocid prefix, "ocds-" and 6 characters
	BaseURL   string // absolute, e.g. https://gerbang.go.id/api/tender
	License   string // absolute URI of the data license
	Publisher string
}

// OCID is the tender's Open Contracting ID.
func (p Publisher) OCID(tenderID string) string { return p.Prefix + "-" + tenderID }

// Release is an OCDS release (the fields Gerbang fills).
type Release struct {
	OCID           string            `json:"ocid"`
	ID             string            `json:"id"`
	Date           string            `json:"date"`
	Tag            []string          `json:"tag"`
	InitiationType string            `json:"initiationType"`
	Language       string            `json:"language"`
	Parties        []Organization    `json:"parties,omitempty"`
	Buyer          *OrgRef           `json:"buyer,omitempty"`
	Tender         *Tender           `json:"tender,omitempty"`
	Awards         []ReleaseAward    `json:"awards,omitempty"`
	Contracts      []ReleaseContract `json:"contracts,omitempty"`
}

// Organization is a party.
type Organization struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// OrgRef refers to a party.
type OrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Value is an amount of money.
type Value struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Period is a span of time.
type Period struct {
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

// Amendment is a tender amendment.
type Amendment struct {
	ID        string `json:"id"`
	Date      string `json:"date"`
	Rationale string `json:"rationale"`
}

// Tender is the tender section.
type Tender struct {
	ID                      string      `json:"id"`
	Title                   string      `json:"title"`
	Description             string      `json:"description,omitempty"`
	Status                  string      `json:"status"`
	ProcuringEntity         *OrgRef     `json:"procuringEntity,omitempty"`
	Value                   *Value      `json:"value,omitempty"`
	ProcurementMethod       string      `json:"procurementMethod"`
	ProcurementMethodDetail string      `json:"procurementMethodDetails,omitempty"`
	MainProcurementCategory string      `json:"mainProcurementCategory"`
	AwardCriteria           string      `json:"awardCriteria"`
	AwardCriteriaDetails    string      `json:"awardCriteriaDetails,omitempty"`
	SubmissionMethod        []string    `json:"submissionMethod"`
	TenderPeriod            *Period     `json:"tenderPeriod,omitempty"`
	EnquiryPeriod           *Period     `json:"enquiryPeriod,omitempty"`
	HasEnquiries            bool        `json:"hasEnquiries"`
	NumberOfTenderers       *int        `json:"numberOfTenderers,omitempty"`
	Tenderers               []OrgRef    `json:"tenderers,omitempty"`
	Amendments              []Amendment `json:"amendments,omitempty"`
}

// ReleaseAward is an award.
type ReleaseAward struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	Date      string   `json:"date"`
	Value     Value    `json:"value"`
	Suppliers []OrgRef `json:"suppliers"`
}

// ReleaseContract is a contract.
type ReleaseContract struct {
	ID         string `json:"id"`
	AwardID    string `json:"awardID"`
	Title      string `json:"title"`
	Status     string `json:"status"`
	Value      Value  `json:"value"`
	DateSigned string `json:"dateSigned"`
}

// ReleasePackage wraps releases.
type ReleasePackage struct {
	URI           string    `json:"uri"`
	Version       string    `json:"version"`
	PublishedDate string    `json:"publishedDate"`
	Publisher     PubInfo   `json:"publisher"`
	License       string    `json:"license,omitempty"`
	Releases      []Release `json:"releases"`
}

// PubInfo is a package's publisher.
type PubInfo struct {
	Name string `json:"name"`
}

// Record is all releases of one ocid and their compiled state.
type Record struct {
	OCID            string    `json:"ocid"`
	Releases        []Release `json:"releases"`
	CompiledRelease Release   `json:"compiledRelease"`
}

// RecordPackage wraps records.
type RecordPackage struct {
	URI           string   `json:"uri"`
	Version       string   `json:"version"`
	PublishedDate string   `json:"publishedDate"`
	Publisher     PubInfo  `json:"publisher"`
	License       string   `json:"license,omitempty"`
	Packages      []string `json:"packages"`
	Records       []Record `json:"records"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// tenderStatus maps the tender machine to the tenderStatus codelist.
func tenderStatus(s domain.State) string {
	switch s {
	case domain.StateAwarded, domain.StateContracted:
		return "complete"
	case domain.StateCancelled:
		return "cancelled"
	case domain.StateFailed:
		return "unsuccessful"
	default:
		return "active"
	}
}

// category maps to the procurementCategory codelist (consulting and other
// services are services).
func category(c domain.Category) string {
	switch c {
	case domain.CategoryGoods:
		return "goods"
	case domain.CategoryWorks:
		return "works"
	default:
		return "services"
	}
}

// awardCriteria maps the evaluation method to the awardCriteria codelist.
func awardCriteria(m domain.EvaluationMethod) (string, string) {
	switch m {
	case domain.MethodLowestPrice:
		return "priceOnly", "Harga terendah (lowest price)"
	case domain.MethodQualityCost:
		return "ratedCriteria", "Kualitas dan biaya (weighted technical and price scores)"
	default:
		return "ratedCriteria", "Sistem nilai (merit points, price one of the criteria)"
	}
}

// Releases builds the releases of a published tender, oldest first.
func (p Publisher) Releases(pr Process) ([]Release, error) {
	t := pr.Tender
	if t.PublishedAt == nil {
		return nil, fmt.Errorf("tender %s is not published", t.ID)
	}
	ocid := p.OCID(t.ID)
	buyer := OrgRef{ID: "buyer-" + t.ID, Name: t.BuyerAgency}
	base := func(id string, at time.Time, tag string) Release {
		return Release{OCID: ocid, ID: ocid + "-" + id, Date: ts(at), Tag: []string{tag}, InitiationType: "tender",
			Language: "id", Buyer: &buyer}
	}
	crit, critDetails := awardCriteria(t.Evaluation.Method)
	tender := &Tender{
		ID: t.Number, Title: t.Title, Description: t.Description, Status: tenderStatus(t.State),
		ProcuringEntity: &buyer, ProcurementMethod: "open", ProcurementMethodDetail: t.ProcurementMethod,
		MainProcurementCategory: category(t.Category), AwardCriteria: crit, AwardCriteriaDetails: critDetails,
		SubmissionMethod: []string{"electronicSubmission"},
		TenderPeriod:     &Period{StartDate: ts(t.BidPeriodStart), EndDate: ts(t.BidDeadline)},
		EnquiryPeriod:    &Period{StartDate: ts(*t.PublishedAt), EndDate: ts(t.BidDeadline)},
	}
	if t.HPSPublic {
		tender.Value = &Value{Amount: t.HPS, Currency: "IDR"}
	}
	for _, a := range pr.Addenda {
		why := fmt.Sprintf("Addendum %d", a.Number)
		if a.DeadlineExtended {
			why += "; bid deadline extended"
		}
		tender.Amendments = append(tender.Amendments, Amendment{ID: fmt.Sprintf("addendum-%d", a.Number), Date: ts(a.At), Rationale: why})
	}
	parties := []Organization{{ID: buyer.ID, Name: buyer.Name, Roles: []string{"buyer", "procuringEntity"}}}
	if pr.Opening != nil {
		n := len(pr.Opening.Tenderers)
		tender.NumberOfTenderers = &n
		for _, v := range pr.Opening.Tenderers {
			tender.Tenderers = append(tender.Tenderers, OrgRef{ID: v, Name: v})
			roles := []string{"tenderer"}
			if pr.Award != nil && pr.Award.AnnouncedAt != nil && pr.Award.Vendor == v {
				roles = append(roles, "supplier")
			}
			parties = append(parties, Organization{ID: v, Name: v, Roles: roles})
		}
	}

	var out []Release
	add := func(r Release) {
		r.Parties, r.Tender = parties, tender
		out = append(out, r)
	}
	add(base("tender", *t.PublishedAt, "tender"))
	for _, a := range pr.Addenda {
		add(base(fmt.Sprintf("amendment-%d", a.Number), a.At, "tenderAmendment"))
	}
	if pr.Opening != nil {
		add(base("opening", pr.Opening.At, "tenderUpdate"))
	}
	var award *ReleaseAward
	if a := pr.Award; a != nil && a.AnnouncedAt != nil {
		award = &ReleaseAward{ID: ocid + "-award", Title: "Pemenang " + t.Number, Status: "pending", Date: ts(*a.AnnouncedAt),
			Value: Value{Amount: a.Value, Currency: "IDR"}, Suppliers: []OrgRef{{ID: a.Vendor, Name: a.Vendor}}}
		r := base("award", *a.AnnouncedAt, "award")
		r.Awards = []ReleaseAward{*award}
		add(r)
		if a.FinalisedAt != nil {
			final := *award
			final.Status = "active"
			final.Date = ts(*a.FinalisedAt)
			r := base("award-final", *a.FinalisedAt, "awardUpdate")
			r.Awards = []ReleaseAward{final}
			add(r)
			award = &final
		}
	}
	if c := pr.Contract; c != nil && award != nil {
		r := base("contract", c.SignedAt, "contract")
		r.Awards = []ReleaseAward{*award}
		r.Contracts = []ReleaseContract{{ID: c.ID, AwardID: award.ID, Title: "Kontrak " + c.Number, Status: "active",
			Value: Value{Amount: c.Value, Currency: "IDR"}, DateSigned: ts(c.SignedAt)}}
		add(r)
	}
	if t.EndedAt != nil && (t.State == domain.StateCancelled || t.State == domain.StateFailed) {
		tag := "tenderUpdate"
		if t.State == domain.StateCancelled {
			tag = "tenderCancellation"
		}
		r := base(string(t.State), *t.EndedAt, tag)
		if award != nil && award.Status == "pending" {
			cancelled := *award
			cancelled.Status = "cancelled"
			r.Awards = []ReleaseAward{cancelled}
		}
		add(r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// ReleasePackage returns the releases of one tender as a package.
func (p Publisher) ReleasePackage(pr Process, now time.Time) (ReleasePackage, error) {
	rs, err := p.Releases(pr)
	if err != nil {
		return ReleasePackage{}, err
	}
	return ReleasePackage{URI: p.releasesURI(pr.Tender.ID), Version: Version, PublishedDate: ts(latest(rs, now)),
		Publisher: PubInfo{Name: p.Name}, License: p.License, Releases: rs}, nil
}

// RecordPackage returns the record of one tender: every release and the
// compiled (current) release.
func (p Publisher) RecordPackage(pr Process, now time.Time) (RecordPackage, error) {
	rs, err := p.Releases(pr)
	if err != nil {
		return RecordPackage{}, err
	}
	compiled := rs[len(rs)-1]
	compiled.ID = p.OCID(pr.Tender.ID) + "-compiled"
	compiled.Tag = []string{"compiled"}
	for _, r := range rs {
		if len(r.Awards) > 0 {
			compiled.Awards = r.Awards
		}
		if len(r.Contracts) > 0 {
			compiled.Contracts = r.Contracts
		}
	}
	return RecordPackage{URI: p.BaseURL + "/v1/public/ocds/tenders/" + pr.Tender.ID + "/record", Version: Version,
		PublishedDate: ts(latest(rs, now)), Publisher: PubInfo{Name: p.Name}, License: p.License,
		Packages: []string{p.releasesURI(pr.Tender.ID)},
		Records:  []Record{{OCID: p.OCID(pr.Tender.ID), Releases: rs, CompiledRelease: compiled}}}, nil
}

func (p Publisher) releasesURI(tenderID string) string {
	return p.BaseURL + "/v1/public/ocds/tenders/" + tenderID + "/releases"
}

func latest(rs []Release, now time.Time) time.Time {
	if len(rs) == 0 {
		return now
	}
	t, err := time.Parse(time.RFC3339, rs[len(rs)-1].Date)
	if err != nil {
		return now
	}
	return t
}
