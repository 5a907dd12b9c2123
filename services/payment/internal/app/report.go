package app

import (
	"time"

	"github.com/google/uuid"
)

// Report is a reconciliation's outcome, the read model of
// ReconciliationReport: its lines matched and not, and the payments
// received by then that no statement has matched.
type Report struct {
	ID                uuid.UUID
	UploadedBy        string
	CreatedAt         time.Time
	Matched           []ReportLine
	UnmatchedLines    []ReportLine
	UnmatchedPayments []ReportPayment
}

// ReportLine is a statement line in a reconciliation report.
type ReportLine struct {
	LineNo        int
	ValueDate     time.Time
	BillingCode   string
	Amount        int64
	BankReference string
	PaymentID     uuid.UUID // uuid.Nil: unmatched
	InvoiceID     uuid.UUID // uuid.Nil: unmatched, or a payment of an unknown billing code
}

// ReportPayment is a payment no statement line has matched.
type ReportPayment struct {
	PaymentID        uuid.UUID
	GatewayReference string
	BillingCode      string
	Amount           int64
	PaidAt           time.Time
	InvoiceID        uuid.UUID // uuid.Nil for an unknown billing code
	Outcome          string
}
