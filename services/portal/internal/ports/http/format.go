package http

import (
	"fmt"
	"strconv"
	"time"

	"gerbang/services/portal/internal/domain"
)

// How the pages write times, money and the services' codes for people.

// wib writes a time (time.Time or *time.Time) in WIB; a nil time is empty.
func wib(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	return t.In(WIB).Format("02-01-2006 15:04") + " WIB"
}

// rupiah writes an amount as Indonesians do: Rp 1.000.000.000.
func rupiah(m *domain.Money) string {
	if m == nil {
		return ""
	}
	digits := strconv.FormatInt(m.Amount, 10)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	out := make([]byte, 0, len(digits)+len(digits)/3)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, digits[i])
	}
	return sign + "Rp " + string(out)
}

// clockWIB writes only the time of day of t in WIB ("15:04 WIB"): when a
// session ends, on the day it is.
func clockWIB(t time.Time) string { return t.In(WIB).Format("15:04") + " WIB" }

// The services' codes are said by the catalogue (<prefix>.<code>: a tender
// state is tender.state.<state>). tones lists every code the pages know,
// with its badge's colour where it has a badge: good, caution, bad, neutral
// (TestEveryKeyInUseIsInTheCatalogue finds each in the catalogue).
var tones = map[string]map[string]string{
	"license.status": {
		string(domain.LicenseActive):    "good",
		string(domain.LicenseSuspended): "caution",
		string(domain.LicenseRevoked):   "bad",
		string(domain.LicenseExpired):   "bad",
	},
	"tender.state": {
		"draft": "neutral", "announced": "neutral", "tendering": "good", "opening": "caution",
		"evaluation": "caution", "award_proposed": "caution", "objection_period": "caution",
		"awarded": "neutral", "contracted": "neutral", "cancelled": "bad", "failed": "bad",
	},
	"bid.security":      {"requested": "caution", "held": "good", "released": "neutral", "forfeited": "bad"},
	"tender.category":   {"goods": "", "works": "", "consulting": "", "other_services": ""},
	"tender.evaluation": {"lowest_price": "", "quality_cost": "", "merit_points": ""},
	"application.state": {
		"draft": "neutral", "submitted": "neutral", "in_review": "caution", "revision_requested": "caution",
		"approved": "good", "awaiting_payment": "caution", "issued": "good", "rejected": "bad", "withdrawn": "neutral",
		"deemed_approved": "good",
	},
	"risk":                {"low": "good", "medium_low": "neutral", "medium_high": "caution", "high": "bad"},
	"scale":               {"micro": "", "small": "", "medium": "", "large": ""},
	"scale_hint":          {"micro": "", "small": "", "medium": "", "large": ""},
	"finder.metric":       {"rooms": "", "head_count": ""},
	"finder.content_type": {"pdf": "", "image": "", "any": ""},
}

// toneOf is {{tone "tender.state" .State}}: the badge colour of a code,
// neutral for one added to a service after this page was written.
func toneOf(prefix, code string) string {
	if t, ok := tones[prefix][code]; ok && t != "" {
		return t
	}
	return "neutral"
}

// boxes are the classes of the box that says what a license's status means.
var boxes = map[string]string{"good": "ok", "caution": "warn", "bad": "error", "neutral": "warn"}

// countdown is the time left to a deadline at the server's now, as the
// countdown template shows it: whole days, then hh:mm:ss.
type countdown struct {
	Deadline, Now time.Time
	Days          int
	Clock         string
	Passed        bool
}

func countdownOf(deadline, now time.Time) countdown {
	c := countdown{Deadline: deadline, Now: now}
	left := deadline.Sub(now).Truncate(time.Second)
	if left <= 0 {
		c.Passed = true
		return c
	}
	c.Days = int(left / (24 * time.Hour))
	left -= time.Duration(c.Days) * 24 * time.Hour
	c.Clock = fmt.Sprintf("%02d:%02d:%02d", int(left/time.Hour), int(left%time.Hour/time.Minute), int(left%time.Minute/time.Second))
	return c
}

// points writes a score kept in hundredths of a point as people write
// it: 8550 is 85,50.
func points(hundredths int64) string {
	sign := ""
	if hundredths < 0 {
		sign, hundredths = "-", -hundredths
	}
	return fmt.Sprintf("%s%d,%02d", sign, hundredths/100, hundredths%100)
}
