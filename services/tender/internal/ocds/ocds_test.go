package ocds

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds/ocdstest"
)

func codes(t *testing.T, list string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "codelists", list+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows[1:] {
		out[r[0]] = true
	}
	return out
}

var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

func at(h int) *time.Time { v := t0.Add(time.Duration(h) * time.Hour); return &v }

func publisher() Publisher {
	return Publisher{Name: "Gerbang", Prefix: "ocds-gbg001", BaseURL: "https://gerbang.go.id/api/tender",
		License: "https://creativecommons.org/licenses/by/4.0/"}
}

func tenderIn(state domain.State, method domain.EvaluationMethod, cat domain.Category) *domain.Tender {
	t := &domain.Tender{ID: "0193a6f0-0000-7000-8000-0000000000aa", Number: "TND-2026-0042", State: state,
		Terms: domain.Terms{BuyerAgency: "Dinas PUPR Kota Bandung", Title: "Rehabilitasi jembatan", Description: "Jembatan Pasupati",
			Category: cat, HPS: 5_000_000_000, HPSPublic: true, KBLI: "42101", ProcurementMethod: "tender",
			Evaluation: domain.EvaluationTerms{Method: method}, BidPeriodStart: *at(24), BidDeadline: *at(240)},
		PublishedAt: at(0)}
	if state.Terminal() {
		t.EndedAt = at(400)
	}
	return t
}

// stages are the published steps of a tender, each as the feed shows it.
func stages() map[string]Process {
	opening := &Opening{At: *at(241), Tenderers: []string{"vendor-a", "vendor-b"}}
	proposed := &Award{BidID: "bid-b", Vendor: "vendor-b", Value: 4_200_000_000, AnnouncedAt: at(260)}
	final := *proposed
	final.FinalisedAt = at(380)
	return map[string]Process{
		"announced": {Tender: tenderIn(domain.StateAnnounced, domain.MethodLowestPrice, domain.CategoryWorks)},
		"amended": {Tender: tenderIn(domain.StateTendering, domain.MethodQualityCost, domain.CategoryConsulting),
			Addenda: []Addendum{{Number: 1, At: *at(100), DeadlineExtended: true}}},
		"opened":           {Tender: tenderIn(domain.StateEvaluation, domain.MethodMeritPoints, domain.CategoryGoods), Opening: opening},
		"objection period": {Tender: tenderIn(domain.StateObjectionPeriod, domain.MethodLowestPrice, domain.CategoryWorks), Opening: opening, Award: proposed},
		"contracted": {Tender: tenderIn(domain.StateContracted, domain.MethodLowestPrice, domain.CategoryOtherServices), Opening: opening, Award: &final,
			Contract: &Contract{ID: "contract-1", Number: "SPK-001", Vendor: "vendor-b", Value: 4_200_000_000, SignedAt: *at(390)}},
		"cancelled":               {Tender: tenderIn(domain.StateCancelled, domain.MethodLowestPrice, domain.CategoryGoods)},
		"failed after objections": {Tender: tenderIn(domain.StateFailed, domain.MethodLowestPrice, domain.CategoryGoods), Opening: opening, Award: proposed},
	}
}

func TestReleasePackagesAndRecordsAreValidOCDS(t *testing.T) {
	releasePkg := ocdstest.Compile(t, ocdstest.PackageURL)
	recordPkg := ocdstest.Compile(t, ocdstest.RecordURL)
	p := publisher()
	for name, pr := range stages() {
		t.Run(name, func(t *testing.T) {
			rp, err := p.ReleasePackage(pr, t0)
			if err != nil {
				t.Fatal(err)
			}
			ocdstest.Validate(t, releasePkg, rp)
			rec, err := p.RecordPackage(pr, t0)
			if err != nil {
				t.Fatal(err)
			}
			ocdstest.Validate(t, recordPkg, rec)
			ids := map[string]bool{}
			for i, r := range rp.Releases {
				if r.OCID != "ocds-gbg001-"+pr.Tender.ID || !strings.HasPrefix(r.OCID, "ocds-") {
					t.Errorf("ocid %q", r.OCID)
				}
				if ids[r.ID] {
					t.Errorf("release id %s twice", r.ID)
				}
				ids[r.ID] = true
				if i > 0 && r.Date < rp.Releases[i-1].Date {
					t.Errorf("releases not in date order: %s after %s", r.Date, rp.Releases[i-1].Date)
				}
			}
		})
	}
}

// TestEveryCodeIsFromItsCodelist checks each codelist-valued field of
// every release of every stage against the OCDS codelist files.
func TestEveryCodeIsFromItsCodelist(t *testing.T) {
	lists := map[string]map[string]bool{}
	for _, l := range []string{"tenderStatus", "awardStatus", "contractStatus", "releaseTag", "method", "procurementCategory",
		"partyRole", "awardCriteria", "submissionMethod", "initiationType", "currency"} {
		lists[l] = codes(t, l)
	}
	check := func(list, v string) {
		if !lists[list][v] {
			t.Errorf("%q is not in the %s codelist", v, list)
		}
	}
	p := publisher()
	for _, pr := range stages() {
		rec, err := p.RecordPackage(pr, t0)
		if err != nil {
			t.Fatal(err)
		}
		rs := append(rec.Records[0].Releases, rec.Records[0].CompiledRelease)
		for _, r := range rs {
			for _, tag := range r.Tag {
				check("releaseTag", tag)
			}
			check("initiationType", r.InitiationType)
			for _, party := range r.Parties {
				for _, role := range party.Roles {
					check("partyRole", role)
				}
			}
			tn := r.Tender
			check("tenderStatus", tn.Status)
			check("method", tn.ProcurementMethod)
			check("procurementCategory", tn.MainProcurementCategory)
			check("awardCriteria", tn.AwardCriteria)
			for _, m := range tn.SubmissionMethod {
				check("submissionMethod", m)
			}
			if tn.Value != nil {
				check("currency", tn.Value.Currency)
			}
			for _, a := range r.Awards {
				check("awardStatus", a.Status)
				check("currency", a.Value.Currency)
			}
			for _, c := range r.Contracts {
				check("contractStatus", c.Status)
				check("currency", c.Value.Currency)
			}
		}
	}
}

func TestHiddenHPSIsNotPublished(t *testing.T) {
	pr := Process{Tender: tenderIn(domain.StateTendering, domain.MethodLowestPrice, domain.CategoryGoods)}
	pr.Tender.HPSPublic = false
	rp, err := publisher().ReleasePackage(pr, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rp)
	if bytes.Contains(raw, []byte("5000000000")) {
		t.Fatal("a hidden HPS is in the feed")
	}
}

// TestTheValidatorRefusesInvalidOCDS shows the schema check is not vacuous.
func TestTheValidatorRefusesInvalidOCDS(t *testing.T) {
	releasePkg := ocdstest.Compile(t, ocdstest.PackageURL)
	rp, err := publisher().ReleasePackage(stages()["announced"], t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(*ReleasePackage){
		"unknown tag":      func(p *ReleasePackage) { p.Releases[0].Tag = []string{"bogus"} },
		"unknown status":   func(p *ReleasePackage) { p.Releases[0].Tender.Status = "open" },
		"no release id":    func(p *ReleasePackage) { p.Releases[0].ID = "" },
		"relative uri":     func(p *ReleasePackage) { p.URI = "not a uri" },
		"bad version":      func(p *ReleasePackage) { p.Version = "1.1.5" },
		"no published day": func(p *ReleasePackage) { p.PublishedDate = "yesterday" },
	} {
		t.Run(name, func(t *testing.T) {
			cp := rp
			cp.Releases = append([]Release{}, rp.Releases...)
			tn := *rp.Releases[0].Tender
			cp.Releases[0].Tender = &tn
			spoil(&cp)
			raw, _ := json.Marshal(cp)
			doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if releasePkg.Validate(doc) == nil {
				t.Fatal("accepted")
			}
		})
	}
}
