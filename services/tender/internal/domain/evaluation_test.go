package domain

import (
	"slices"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

const hps = 1_000_000_000

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func pass(ids ...string) []Assessment {
	var out []Assessment
	for _, id := range ids {
		out = append(out, Assessment{BidID: id, AdministrativePass: true, TechnicalPass: true})
	}
	return out
}

func scoresOf(bid, criterion string, points ...int) []MemberScore {
	var out []MemberScore
	for i, p := range points {
		out = append(out, MemberScore{Member: []string{"m1", "m2", "m3"}[i], BidID: bid, Criterion: criterion, Points: p})
	}
	return out
}

type wantRank struct {
	bid     string
	tech    Score
	price   Score
	total   Score
	flagged bool
}

func checkRanking(t *testing.T, res Result, want []wantRank, winner string, reserves []string) {
	t.Helper()
	if len(res.Ranking) != len(want) {
		t.Fatalf("ranking %+v, want %d bids", res.Ranking, len(want))
	}
	for i, w := range want {
		g := res.Ranking[i]
		if g.Rank != i+1 || g.BidID != w.bid || g.TechnicalScore != w.tech || g.PriceScore != w.price || g.Total != w.total || g.BelowEightyPercentHPS != w.flagged {
			t.Errorf("rank %d: got %s tech %s price %s total %s flagged %v; want %s tech %s price %s total %s flagged %v",
				i+1, g.BidID, g.TechnicalScore, g.PriceScore, g.Total, g.BelowEightyPercentHPS, w.bid, w.tech, w.price, w.total, w.flagged)
		}
	}
	if res.Winner != winner || !slices.Equal(res.Reserves, reserves) {
		t.Errorf("winner %s reserves %v, want %s %v", res.Winner, res.Reserves, winner, reserves)
	}
}

// Worked example, lowest price (HPS Rp 1.000.000.000):
// A 900 jt; B 750 jt at 09:05; C 750 jt at 09:10; D fails the
// administrative check; E's bid security was unpaid at the opening.
// B and C tie on price: B reached the server first and ranks first. Both
// are under 80% of the HPS (800 jt) and are flagged. A's price score is
// 750/900 = 83.33.
func TestLowestPriceWorkedExample(t *testing.T) {
	bids := []OpenedBid{
		{BidID: "A", Vendor: "va", Price: 900_000_000, SubmittedAt: at(1)},
		{BidID: "C", Vendor: "vc", Price: 750_000_000, SubmittedAt: at(10)},
		{BidID: "B", Vendor: "vb", Price: 750_000_000, SubmittedAt: at(5)},
		{BidID: "D", Vendor: "vd", Price: 500_000_000, SubmittedAt: at(2)},
		{BidID: "E", Vendor: "ve", Price: 400_000_000, SubmittedAt: at(3), Disqualified: "bid security not paid by the opening"},
	}
	assess := append(pass("A", "B", "C"), Assessment{BidID: "D", AdministrativePass: false, TechnicalPass: true, Reasons: []string{"no tax clearance (SKB)"}})
	res, err := Evaluate(EvaluationTerms{Method: MethodLowestPrice}, hps, bids, assess, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRanking(t, res, []wantRank{
		{bid: "B", price: 10000, total: 10000, flagged: true},
		{bid: "C", price: 10000, total: 10000, flagged: true},
		{bid: "A", price: 8333, total: 8333},
	}, "B", []string{"C", "A"})
	reasons := map[string]string{}
	for _, d := range res.Disqualified {
		reasons[d.BidID] = d.Reason
	}
	if reasons["D"] != "administrative evaluation failed: no tax clearance (SKB)" || reasons["E"] != "bid security not paid by the opening" {
		t.Fatalf("disqualified %+v", res.Disqualified)
	}
	if res.TieBreakRule == "" {
		t.Fatal("no stated tie-break rule")
	}
}

// Worked example, quality and cost: technical 70%, price 30%, passing
// grade 70, two members.
//
//	A 900 jt, technical 80 and 90 -> 85.00; price 800/900 -> 88.88;
//	  total (85.00*70 + 88.88*30)/100 = 86.16
//	B 800 jt, technical 70 and 75 -> 72.50; price 100.00;
//	  total (72.50*70 + 100*30)/100 = 80.75; exactly 80% of HPS: not flagged
//	C 850 jt, technical 60 and 70 -> 65.00 < 70: out before the price
func TestQualityAndCostWorkedExample(t *testing.T) {
	bids := []OpenedBid{
		{BidID: "A", Price: 900_000_000, SubmittedAt: at(1)},
		{BidID: "B", Price: 800_000_000, SubmittedAt: at(2)},
		{BidID: "C", Price: 850_000_000, SubmittedAt: at(3)},
	}
	var scores []MemberScore
	scores = append(scores, scoresOf("A", CriterionTechnical, 80, 90)...)
	scores = append(scores, scoresOf("B", CriterionTechnical, 70, 75)...)
	scores = append(scores, scoresOf("C", CriterionTechnical, 60, 70)...)
	terms := EvaluationTerms{Method: MethodQualityCost, TechnicalWeight: 70, PriceWeight: 30, PassingGrade: 70}
	res, err := Evaluate(terms, hps, bids, pass("A", "B", "C"), scores)
	if err != nil {
		t.Fatal(err)
	}
	checkRanking(t, res, []wantRank{
		{bid: "A", tech: 8500, price: 8888, total: 8616},
		{bid: "B", tech: 7250, price: 10000, total: 8075},
	}, "A", []string{"B"})
	if len(res.Disqualified) != 1 || res.Disqualified[0].Reason != "technical score 65.00 is below the passing grade 70" {
		t.Fatalf("disqualified %+v", res.Disqualified)
	}
}

// Worked example, merit points: experience 20, methodology 30,
// personnel 20, price 30; three members; criterion score = mean of points.
//
//	A 950 jt: exp 90.00, meth 70.00, pers 63.33 -> 18.00+21.00+12.66 = 51.66;
//	  price 700/950 = 73.68 -> 22.10; total 73.76
//	B 700 jt: exp 50, meth 60, pers 50 -> 10+18+10 = 38.00; price 100 -> 30;
//	  total 68.00; under 80% of HPS: flagged
//	C 800 jt: exp 70, meth 80, pers 70 -> 14+24+14 = 52.00; price 87.50 ->
//	  26.25; total 78.25 -> winner
func TestMeritPointsWorkedExample(t *testing.T) {
	bids := []OpenedBid{
		{BidID: "A", Price: 950_000_000, SubmittedAt: at(1)},
		{BidID: "B", Price: 700_000_000, SubmittedAt: at(2)},
		{BidID: "C", Price: 800_000_000, SubmittedAt: at(3)},
	}
	var s []MemberScore
	s = append(s, scoresOf("A", "experience", 80, 90, 100)...)
	s = append(s, scoresOf("A", "methodology", 70, 70, 70)...)
	s = append(s, scoresOf("A", "personnel", 60, 65, 65)...)
	s = append(s, scoresOf("B", "experience", 50, 50, 50)...)
	s = append(s, scoresOf("B", "methodology", 60, 60, 60)...)
	s = append(s, scoresOf("B", "personnel", 50, 50, 50)...)
	s = append(s, scoresOf("C", "experience", 70, 70, 70)...)
	s = append(s, scoresOf("C", "methodology", 80, 80, 80)...)
	s = append(s, scoresOf("C", "personnel", 70, 70, 70)...)
	terms := EvaluationTerms{Method: MethodMeritPoints, PriceWeight: 30,
		Criteria: []Criterion{{"experience", 20}, {"methodology", 30}, {"personnel", 20}}}
	res, err := Evaluate(terms, hps, bids, pass("A", "B", "C"), s)
	if err != nil {
		t.Fatal(err)
	}
	checkRanking(t, res, []wantRank{
		{bid: "C", tech: 5200, price: 8750, total: 7825},
		{bid: "A", tech: 5166, price: 7368, total: 7376},
		{bid: "B", tech: 3800, price: 10000, total: 6800, flagged: true},
	}, "C", []string{"A", "B"})
}

func TestEvaluationWithMissingScoresOrAssessmentsIsRefused(t *testing.T) {
	bids := []OpenedBid{{BidID: "A", Price: 900}, {BidID: "B", Price: 800}}
	terms := EvaluationTerms{Method: MethodQualityCost, TechnicalWeight: 70, PriceWeight: 30}
	_, err := Evaluate(terms, hps, bids, pass("A"), scoresOf("A", CriterionTechnical, 80))
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("got %v, want invalid", err)
	}
	_, err = Evaluate(terms, hps, bids[:1], pass("A"), nil)
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("no scores: got %v, want invalid", err)
	}
}

func TestEvaluationTermsValidation(t *testing.T) {
	cases := []struct {
		name  string
		terms EvaluationTerms
		ok    bool
	}{
		{"lowest price", EvaluationTerms{Method: MethodLowestPrice}, true},
		{"quality cost summing to 100", EvaluationTerms{Method: MethodQualityCost, TechnicalWeight: 80, PriceWeight: 20}, true},
		{"quality cost not summing to 100", EvaluationTerms{Method: MethodQualityCost, TechnicalWeight: 80, PriceWeight: 30}, false},
		{"merit points summing to 100", EvaluationTerms{Method: MethodMeritPoints, PriceWeight: 40, Criteria: []Criterion{{"a", 60}}}, true},
		{"merit points duplicate key", EvaluationTerms{Method: MethodMeritPoints, PriceWeight: 40, Criteria: []Criterion{{"a", 30}, {"a", 30}}}, false},
		{"merit points without price", EvaluationTerms{Method: MethodMeritPoints, Criteria: []Criterion{{"a", 100}}}, false},
		{"unknown method", EvaluationTerms{Method: "auction"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := len(c.terms.validate()) == 0; got != c.ok {
				t.Fatalf("valid = %v, want %v", got, c.ok)
			}
		})
	}
}
