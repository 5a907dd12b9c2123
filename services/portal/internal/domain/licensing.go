package domain

import "time"

// What the portal shows of licensing's records to the person they belong
// to (read from licensing's API as that person).

// Scales are the business scales, smallest first.
var Scales = []string{"micro", "small", "medium", "large"}

// Business is a registered business and its NIB.
type Business struct {
	ID      string
	NIB     string
	Name    string
	NPWP    string
	Address string
	Scale   string
	KBLI    []string
	Version int // for If-Match
}

// BusinessInput is what a person gives to register a business or change it
// (the NPWP only at registration).
type BusinessInput struct {
	Name, NPWP, Address, Scale string
	KBLI                       []string
}

// KBLIRule is a business activity of the catalogue.
type KBLIRule struct {
	Code, Title, Sector string
	SizeMetric          string // rooms, head_count; empty when only the scale counts
}

// Requirements are what an activity at a scale (and size) needs.
type Requirements struct {
	KBLI, Title, Sector string
	Scale               string
	Size                int64
	SizeMetric          string
	Risk                string
	NeedsReview         bool
	LicenseType         LicenseType
}

// LicenseType is a license of the catalogue and what it takes.
type LicenseType struct {
	Code, Name     string
	Risk           string
	Fee            Money
	SLADays        int
	ValidityMonths int // 0: valid while the business runs
	Documents      []RequiredDocument
}

// RequiredDocument is a document an application must carry.
type RequiredDocument struct {
	Code, Name  string
	MaxBytes    int64
	ContentType string // pdf, image, any
}

// Application is a license application of a business.
type Application struct {
	ID          string
	BusinessID  string
	KBLI        string
	LicenseName string
	State       string
	WhoseTurn   string     // applicant, officer; empty when nobody's
	TurnDueAt   *time.Time // by when the one whose turn it is must act
	UpdatedAt   time.Time
}

// Open is whether the application still waits for someone.
func (a Application) Open() bool {
	switch a.State {
	case "issued", "rejected", "withdrawn":
		return false
	}
	return true
}
