package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gerbang/pkg/apperr"
)

// EvaluationMethod is how the price is weighed against quality.
type EvaluationMethod string

const (
	MethodLowestPrice EvaluationMethod = "lowest_price" // harga terendah
	MethodQualityCost EvaluationMethod = "quality_cost" // kualitas dan biaya: weighted technical and price scores
	MethodMeritPoints EvaluationMethod = "merit_points" // sistem nilai: weighted points per criterion, price one of them
)

// CriterionTechnical is the one criterion members score under quality_cost.
const CriterionTechnical = "technical"

// Criterion is a scored criterion of merit points, with its weight in
// percent of the total.
type Criterion struct {
	Key    string `json:"key"`
	Weight int    `json:"weight"`
}

// EvaluationTerms is the tender's evaluation method and its weights.
type EvaluationTerms struct {
	Method          EvaluationMethod `json:"method"`
	TechnicalWeight int              `json:"technical_weight,omitempty"` // quality_cost: percent
	PriceWeight     int              `json:"price_weight,omitempty"`     // quality_cost, merit_points: percent
	PassingGrade    int              `json:"passing_grade,omitempty"`    // quality_cost: minimum technical score, 0-100
	Criteria        []Criterion      `json:"criteria,omitempty"`         // merit_points: the non-price criteria
}

func (e EvaluationTerms) validate() []apperr.FieldError {
	var f []apperr.FieldError
	switch e.Method {
	case MethodLowestPrice:
	case MethodQualityCost:
		if e.TechnicalWeight <= 0 || e.PriceWeight <= 0 || e.TechnicalWeight+e.PriceWeight != 100 {
			f = append(f, apperr.Field("evaluation.technical_weight", "and price_weight must be positive and sum to 100"))
		}
		if e.PassingGrade < 0 || e.PassingGrade > 100 {
			f = append(f, apperr.Field("evaluation.passing_grade", "must be between 0 and 100"))
		}
	case MethodMeritPoints:
		sum := e.PriceWeight
		seen := map[string]bool{}
		for i, c := range e.Criteria {
			if c.Key == "" || seen[c.Key] || c.Weight <= 0 {
				f = append(f, apperr.Field(fmt.Sprintf("evaluation.criteria[%d]", i), "needs a unique key and a positive weight"))
			}
			seen[c.Key] = true
			sum += c.Weight
		}
		if len(e.Criteria) == 0 || e.PriceWeight <= 0 || sum != 100 {
			f = append(f, apperr.Field("evaluation.criteria", "with price_weight must be positive weights summing to 100"))
		}
	default:
		f = append(f, apperr.Field("evaluation.method", "must be lowest_price, quality_cost or merit_points"))
	}
	return f
}

// criteria lists what members score under the method.
func (e EvaluationTerms) criteria() []Criterion {
	switch e.Method {
	case MethodQualityCost:
		return []Criterion{{Key: CriterionTechnical, Weight: 100}}
	case MethodMeritPoints:
		return e.Criteria
	}
	return nil
}

// OpenedBid is a bid as the opening left it.
type OpenedBid struct {
	BidID        string
	Vendor       string
	Price        int64
	SubmittedAt  time.Time // server time of the bid's last version
	Disqualified string    // set at the opening (undecryptable, bid security unpaid, not confirmed)
}

// Assessment is the committee's administrative and technical pass/fail of
// one bid, with reasons for a fail.
type Assessment struct {
	BidID              string   `json:"bid_id"`
	AdministrativePass bool     `json:"administrative_pass"`
	TechnicalPass      bool     `json:"technical_pass"`
	Reasons            []string `json:"reasons,omitempty"`
}

// MemberScore is one committee member's points (0-100) for one criterion
// of one bid.
type MemberScore struct {
	Member    string `json:"member"`
	BidID     string `json:"bid_id"`
	Criterion string `json:"criterion"`
	Points    int    `json:"points"`
}

// Score is a score in hundredths of a point (0-10000 for 0-100), so that
// the arithmetic stays in integers and is reproducible.
type Score int64

func (s Score) String() string { return fmt.Sprintf("%d.%02d", s/100, s%100) }

// Ranked is one qualified bid in the ranking.
type Ranked struct {
	Rank           int    `json:"rank"`
	BidID          string `json:"bid_id"`
	Vendor         string `json:"vendor"`
	Price          int64  `json:"price"`
	TechnicalScore Score  `json:"technical_score"`
	PriceScore     Score  `json:"price_score"`
	Total          Score  `json:"total"`
	// BelowEightyPercentHPS flags a price under 80% of the owner estimate,
	// for the committee's price-reasonableness check.
	BelowEightyPercentHPS bool `json:"below_80_percent_hps"`
}

// Disqualification is a bid out of the ranking and why.
type Disqualification struct {
	BidID  string `json:"bid_id"`
	Vendor string `json:"vendor"`
	Reason string `json:"reason"`
}

// Result is the outcome of an evaluation.
type Result struct {
	Method       EvaluationMethod   `json:"method"`
	Ranking      []Ranked           `json:"ranking"`
	Disqualified []Disqualification `json:"disqualified"`
	Winner       string             `json:"winner,omitempty"` // bid id
	Reserves     []string           `json:"reserves"`         // bid ids of the next two
	TieBreakRule string             `json:"tie_break_rule"`
}

// TieBreakRule is the stated rule for equal results.
const TieBreakRule = "equal totals: the lower price ranks first; equal prices: the bid whose last version reached the server first; then the lower bid id"

// Evaluate ranks the opened bids by the tender's method. Every bid not
// disqualified at the opening needs an assessment; under quality_cost and
// merit_points, every passing bid needs at least one member's points for
// each criterion. A criterion's score is the mean of the members' points.
func Evaluate(terms EvaluationTerms, hps int64, bids []OpenedBid, assessments []Assessment, scores []MemberScore) (Result, error) {
	res := Result{Method: terms.Method, Ranking: []Ranked{}, Disqualified: []Disqualification{}, Reserves: []string{}, TieBreakRule: TieBreakRule}
	byBid := map[string]Assessment{}
	for _, a := range assessments {
		byBid[a.BidID] = a
	}
	type candidate struct {
		OpenedBid
		criteria map[string]Score
		tech     Score
	}
	var cands []candidate
	var missing []apperr.FieldError
	for _, b := range bids {
		if b.Disqualified != "" {
			res.Disqualified = append(res.Disqualified, Disqualification{b.BidID, b.Vendor, b.Disqualified})
			continue
		}
		a, ok := byBid[b.BidID]
		if !ok {
			missing = append(missing, apperr.Field("assessments", "bid %s has no administrative and technical assessment", b.BidID))
			continue
		}
		if !a.AdministrativePass || !a.TechnicalPass {
			what := "administrative"
			if a.AdministrativePass {
				what = "technical"
			}
			reason := what + " evaluation failed"
			if len(a.Reasons) > 0 {
				reason += ": " + strings.Join(a.Reasons, "; ")
			}
			res.Disqualified = append(res.Disqualified, Disqualification{b.BidID, b.Vendor, reason})
			continue
		}
		c := candidate{OpenedBid: b, criteria: map[string]Score{}}
		for _, cr := range terms.criteria() {
			var sum, n int64
			for _, s := range scores {
				if s.BidID == b.BidID && s.Criterion == cr.Key {
					sum += int64(s.Points)
					n++
				}
			}
			if n == 0 {
				missing = append(missing, apperr.Field("scores", "bid %s has no score for %s", b.BidID, cr.Key))
				continue
			}
			mean := Score((sum*100 + n/2) / n) // hundredths, rounded half up
			c.criteria[cr.Key] = mean
			c.tech += mean * Score(cr.Weight) / 100
		}
		if terms.Method == MethodQualityCost && c.tech < Score(terms.PassingGrade*100) {
			res.Disqualified = append(res.Disqualified, Disqualification{b.BidID, b.Vendor,
				fmt.Sprintf("technical score %s is below the passing grade %d", c.tech, terms.PassingGrade)})
			continue
		}
		cands = append(cands, c)
	}
	for _, s := range scores {
		if s.Points < 0 || s.Points > 100 {
			missing = append(missing, apperr.Field("scores", "points of %s for bid %s must be 0-100", s.Member, s.BidID))
		}
	}
	if len(missing) > 0 {
		return Result{}, apperr.InvalidFields("the evaluation is incomplete", missing...)
	}
	if len(cands) == 0 {
		return res, nil
	}
	lowest := cands[0].Price
	for _, c := range cands {
		lowest = min(lowest, c.Price)
	}
	for _, c := range cands {
		r := Ranked{BidID: c.BidID, Vendor: c.Vendor, Price: c.Price, TechnicalScore: c.tech,
			PriceScore:            Score(lowest * 10000 / c.Price),
			BelowEightyPercentHPS: c.Price*10 < hps*8}
		switch terms.Method {
		case MethodLowestPrice:
			r.Total = r.PriceScore
		case MethodQualityCost:
			r.Total = (r.TechnicalScore*Score(terms.TechnicalWeight) + r.PriceScore*Score(terms.PriceWeight)) / 100
		case MethodMeritPoints:
			r.Total = r.TechnicalScore + r.PriceScore*Score(terms.PriceWeight)/100
		}
		res.Ranking = append(res.Ranking, r)
	}
	submitted := map[string]time.Time{}
	for _, c := range cands {
		submitted[c.BidID] = c.SubmittedAt
	}
	slices.SortFunc(res.Ranking, func(a, b Ranked) int {
		if terms.Method != MethodLowestPrice && a.Total != b.Total {
			return int(b.Total - a.Total)
		}
		if a.Price != b.Price {
			if a.Price < b.Price {
				return -1
			}
			return 1
		}
		if c := submitted[a.BidID].Compare(submitted[b.BidID]); c != 0 {
			return c
		}
		return strings.Compare(a.BidID, b.BidID)
	})
	for i := range res.Ranking {
		res.Ranking[i].Rank = i + 1
		switch {
		case i == 0:
			res.Winner = res.Ranking[i].BidID
		case i <= 2:
			res.Reserves = append(res.Reserves, res.Ranking[i].BidID)
		}
	}
	return res, nil
}
