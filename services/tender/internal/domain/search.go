package domain

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gerbang/pkg/apperr"
)

// TenderSearch narrows the public list of tenders: the words a reader
// types (each must appear in the tender's number, title, description or
// buyer agency), its KBLI, buyer agency, category, state and a window of
// its bid deadline. The zero value finds every published tender.
type TenderSearch struct {
	Words          []string
	KBLI           string
	Buyer          string
	Category       Category
	State          State
	DeadlineAfter  *time.Time // bid deadline at or after
	DeadlineBefore *time.Time // bid deadline before
}

// Limits of a search.
const (
	maxSearchText  = 200
	maxSearchWords = 10
)

var kbliCode = regexp.MustCompile(`^[0-9]{5}$`)

// NewTenderSearch reads a search as the list's query gives it, refusing
// what would find nothing by mistake: a KBLI that is not five digits, an
// unknown category or state, a draft (never public), a window that ends
// before it starts. q is split into words.
func NewTenderSearch(q, kbli, buyer, category, state string, after, before *time.Time) (TenderSearch, error) {
	var f []apperr.FieldError
	s := TenderSearch{KBLI: strings.TrimSpace(kbli), Buyer: strings.TrimSpace(buyer), Category: Category(strings.TrimSpace(category)),
		State: State(strings.TrimSpace(state)), DeadlineAfter: after, DeadlineBefore: before}
	q = strings.TrimSpace(q)
	switch {
	case utf8.RuneCountInString(q) > maxSearchText:
		f = append(f, apperr.Field("query.q", "at most %d characters", maxSearchText))
	default:
		s.Words = strings.Fields(strings.ToLower(q))
		if len(s.Words) > maxSearchWords {
			f = append(f, apperr.Field("query.q", "at most %d words", maxSearchWords))
		}
	}
	if s.KBLI != "" && !kbliCode.MatchString(s.KBLI) {
		f = append(f, apperr.Field("query.kbli", "a KBLI code has 5 digits"))
	}
	if utf8.RuneCountInString(s.Buyer) > maxSearchText {
		f = append(f, apperr.Field("query.buyer", "at most %d characters", maxSearchText))
	}
	switch s.Category {
	case "", CategoryGoods, CategoryWorks, CategoryConsulting, CategoryOtherServices:
	default:
		f = append(f, apperr.Field("query.category", "one of goods, works, consulting, other_services"))
	}
	if s.State != "" && (!s.State.Valid() || s.State == StateDraft) {
		f = append(f, apperr.Field("query.state", "a state of a published tender (announced, tendering, opening, ...)"))
	}
	if after != nil && before != nil && !before.After(*after) {
		f = append(f, apperr.Field("query.deadline_before", "must be after deadline_after"))
	}
	if len(f) > 0 {
		return TenderSearch{}, apperr.InvalidFields("the search cannot be read", f...)
	}
	return s, nil
}

// Matches is whether published tender t is one the search finds: the rule
// the store's query keeps, written once here for the table test that holds
// the two to the same answers.
func (s TenderSearch) Matches(t *Tender) bool {
	if t.PublishedAt == nil {
		return false
	}
	text := strings.ToLower(strings.Join([]string{t.Number, t.Terms.Title, t.Terms.Description, t.Terms.BuyerAgency}, " "))
	for _, w := range s.Words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	switch {
	case s.KBLI != "" && t.Terms.KBLI != s.KBLI,
		s.Buyer != "" && !strings.Contains(strings.ToLower(t.Terms.BuyerAgency), strings.ToLower(s.Buyer)),
		s.Category != "" && t.Terms.Category != s.Category,
		s.State != "" && t.State != s.State,
		s.DeadlineAfter != nil && t.Terms.BidDeadline.Before(*s.DeadlineAfter),
		s.DeadlineBefore != nil && !t.Terms.BidDeadline.Before(*s.DeadlineBefore):
		return false
	}
	return true
}
