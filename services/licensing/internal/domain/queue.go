package domain

import (
	"slices"
	"time"

	"gerbang/pkg/apperr"
)

// The officers' review queue: which of its applications a filter keeps,
// and what the queue counts as due today and overdue. The rules are here;
// the database applies them through QueueSelection's bounds, and a table
// test shows the two agree.

// EndOfDay returns the midnight (WIB) that ends t's day: what is due "by
// the end of today" is due before it.
func EndOfDay(t time.Time) time.Time { return nextMidnight(t).UTC() }

// AddWorkingDays returns the end (the midnight, WIB, that ends it) of the
// working day n working days after t's day: Monday to Friday, except the
// calendar's holidays. With n 0 it is the end of t's own day.
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d := t
	for i := 0; n > 0 && i < maxCalendarDays; i++ {
		d = nextMidnight(d)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return EndOfDay(d)
}

// MaxDueWithinDays is the farthest "due within" filter, in working days.
const MaxDueWithinDays = 60

// QueueFilter narrows the review queue; its zero value keeps it whole.
type QueueFilter struct {
	State         State  // one of ReviewQueueStates; "" for all of them
	KBLI          string // "" for every KBLI
	DueWithinDays int    // due by the end of the working day this many working days from today; 0 for no bound
	Overdue       bool   // only those whose SLA has run out
}

// NewQueueFilter checks a filter of the queue: the state one of the
// queue's, the KBLI five digits, the working days within 1 and
// MaxDueWithinDays (0: none).
func NewQueueFilter(state, kbli string, dueWithinDays int, overdue bool) (QueueFilter, error) {
	var fields []apperr.FieldError
	if state != "" && !slices.Contains(ReviewQueueStates(), State(state)) {
		fields = append(fields, apperr.Field("state", "the review queue holds the states %v", ReviewQueueStates()))
	}
	if kbli != "" && !ValidKBLI(kbli) {
		fields = append(fields, apperr.Field("kbli", "a KBLI code has 5 digits"))
	}
	if dueWithinDays < 0 || dueWithinDays > MaxDueWithinDays {
		fields = append(fields, apperr.Field("due_within_days", "give a number of working days from 1 to %d", MaxDueWithinDays))
	}
	if len(fields) > 0 {
		return QueueFilter{}, apperr.InvalidFields("the review queue cannot be filtered so", fields...)
	}
	return QueueFilter{State: State(state), KBLI: kbli, DueWithinDays: dueWithinDays, Overdue: overdue}, nil
}

// QueueSelection is a filter as the database applies it at one instant:
// the queue's states and, when set, one state, one KBLI and the bounds of
// the SLA due date. An application without a due date (paused for a
// revision) is outside any bound.
type QueueSelection struct {
	States    []State    // the review queue's
	State     State      // "" for all of States
	KBLI      string     // "" for every KBLI
	DueBy     *time.Time // due at or before it (overdue: now)
	DueBefore *time.Time // due before it (within n working days: the end of the n-th)
}

// Select returns the selection of the filter at now.
func (f QueueFilter) Select(now time.Time, cal Calendar) QueueSelection {
	s := QueueSelection{States: ReviewQueueStates(), State: f.State, KBLI: f.KBLI}
	if f.Overdue {
		at := now.UTC()
		s.DueBy = &at
	}
	if f.DueWithinDays > 0 {
		end := cal.AddWorkingDays(now, f.DueWithinDays)
		s.DueBefore = &end
	}
	return s
}

// Keeps reports whether the filter keeps a at now: the rule Select's
// bounds state for the database.
func (f QueueFilter) Keeps(a Application, now time.Time, cal Calendar) bool {
	switch {
	case !slices.Contains(ReviewQueueStates(), a.State),
		f.State != "" && a.State != f.State,
		f.KBLI != "" && a.KBLI != f.KBLI,
		f.Overdue && !a.SLA.Overdue(now),
		f.DueWithinDays > 0 && (a.SLA.DueAt == nil || !a.SLA.DueAt.Before(cal.AddWorkingDays(now, f.DueWithinDays))):
		return false
	}
	return true
}

// QueueCounts are what the whole queue holds that cannot wait: shown
// beside every page of it, whatever the filter.
type QueueCounts struct {
	DueToday int // due by the end of today (WIB), not overdue yet
	Overdue  int // the SLA has run out
}

// Count adds a to the counts at now (an application of the queue).
func (c *QueueCounts) Count(a Application, now time.Time) {
	switch {
	case a.SLA.Overdue(now):
		c.Overdue++
	case a.SLA.DueAt != nil && a.SLA.DueAt.Before(EndOfDay(now)):
		c.DueToday++
	}
}
