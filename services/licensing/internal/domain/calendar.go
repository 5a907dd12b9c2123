package domain

import (
	"fmt"
	"time"
)

// Jakarta is Western Indonesia Time (WIB). Indonesia has kept UTC+7 without
// daylight saving since 1964, so a fixed zone is exact and needs no tzdata.
var jakarta = time.FixedZone("WIB", 7*60*60)

// Jakarta returns the Asia/Jakarta time zone (WIB, UTC+7).
func Jakarta() *time.Location { return jakarta }

// Holiday is a day off: a national holiday or a cuti bersama (joint leave).
type Holiday struct {
	Date string // YYYY-MM-DD in Asia/Jakarta
	Name string
	Kind string // "national" or "cuti_bersama"
}

// Calendar tells working days in Asia/Jakarta: Monday to Friday, except the
// holidays it was given.
type Calendar struct {
	holidays map[string]bool
}

// NewCalendar builds a calendar from its holidays (dates as YYYY-MM-DD).
func NewCalendar(holidays []Holiday) (Calendar, error) {
	c := Calendar{holidays: make(map[string]bool, len(holidays))}
	for _, h := range holidays {
		if _, err := time.ParseInLocation(time.DateOnly, h.Date, jakarta); err != nil {
			return Calendar{}, fmt.Errorf("holiday %q: %w", h.Date, err)
		}
		c.holidays[h.Date] = true
	}
	return c, nil
}

// IsWorkingDay reports whether the Jakarta date of t is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(jakarta)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.holidays[t.Format(time.DateOnly)]
}

// nextMidnight returns the start of the Jakarta day after t's.
func nextMidnight(t time.Time) time.Time {
	t = t.In(jakarta)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, jakarta)
}

// maxCalendarDays bounds the walks below, so a calendar with no working day
// in sight cannot loop forever.
const maxCalendarDays = 3660

// WorkingTime returns how much of [from, to) falls on working days.
func (c Calendar) WorkingTime(from, to time.Time) time.Duration {
	var total time.Duration
	for cur, i := from, 0; cur.Before(to) && i < maxCalendarDays; i++ {
		end := nextMidnight(cur)
		if end.After(to) {
			end = to
		}
		if c.IsWorkingDay(cur) {
			total += end.Sub(cur)
		}
		cur = end
	}
	return total
}

// AddWorkingTime returns the instant at which d of working time has passed
// since start, skipping weekends and holidays.
func (c Calendar) AddWorkingTime(start time.Time, d time.Duration) time.Time {
	cur := start
	for i := 0; i < maxCalendarDays; i++ {
		end := nextMidnight(cur)
		if c.IsWorkingDay(cur) {
			if avail := end.Sub(cur); d <= avail {
				return cur.Add(d).UTC()
			} else {
				d -= avail
			}
		}
		cur = end
	}
	return cur.UTC()
}

// WorkingDay is the length of one working day on the SLA clock.
const WorkingDay = 24 * time.Hour

// SLA is the government's deadline for deciding an application: Days
// working days of Asia/Jakarta. The clock counts the working time that has
// passed while it ran; it pauses (keeping what was used) while a revision is
// requested, and DueAt is set only while it runs.
type SLA struct {
	Days         int
	Used         time.Duration // working time used in earlier runs
	RunningSince *time.Time
	DueAt        *time.Time
}

// Start starts (or resumes) the clock at now.
func (s *SLA) Start(now time.Time, cal Calendar) {
	if s.RunningSince != nil {
		return
	}
	since := now.UTC()
	due := cal.AddWorkingTime(since, s.Remaining())
	s.RunningSince, s.DueAt = &since, &due
}

// Pause stops the clock at now, keeping the working time used.
func (s *SLA) Pause(now time.Time, cal Calendar) {
	if s.RunningSince == nil {
		return
	}
	s.Used += cal.WorkingTime(*s.RunningSince, now)
	s.RunningSince, s.DueAt = nil, nil
}

// Remaining returns the working time left when paused (or at the start of
// the current run).
func (s SLA) Remaining() time.Duration {
	left := time.Duration(s.Days)*WorkingDay - s.Used
	return max(left, 0)
}

// Overdue reports whether the clock runs and its deadline has passed.
func (s SLA) Overdue(now time.Time) bool { return s.DueAt != nil && !now.Before(*s.DueAt) }
