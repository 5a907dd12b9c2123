package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/plaintext"
)

// Payment is money the gateway confirmed, recorded once per gateway
// reference whatever it did to an invoice. It is never changed.
type Payment struct {
	ID               uuid.UUID
	GatewayReference string
	InvoiceID        uuid.UUID // uuid.Nil when no invoice has the billing code
	BillingCode      string
	Amount           Money
	Proof            string // the NTPN-like proof of payment
	PaidAt           time.Time
	ReceivedAt       time.Time
	Outcome          PaymentOutcome
	ReviewReason     ReviewReason
}

// CallbackPayload is the JSON body of a gateway callback.
type CallbackPayload struct {
	GatewayReference string    `json:"gateway_reference"`
	BillingCode      string    `json:"billing_code"`
	Amount           Money     `json:"amount"`
	PaidAt           time.Time `json:"paid_at"`
	Proof            string    `json:"proof"` // NTPN
}

// ParseCallbackPayload decodes and checks a callback body (after its
// signature was verified).
func ParseCallbackPayload(body []byte) (CallbackPayload, error) {
	// Members beyond these are ignored: a gateway adding one must not have
	// its payments refused.
	var p CallbackPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return p, apperr.InvalidFields("The callback body is not the expected JSON.",
			apperr.Field("body", "must be a JSON object of gateway_reference, billing_code, amount {amount, currency}, paid_at (RFC 3339) and proof"))
	}
	var fields []apperr.FieldError
	if r := p.GatewayReference; r == "" || len(r) > 100 || plaintext.Problem(r, false) != "" {
		fields = append(fields, apperr.Field("body.gateway_reference", "must be 1 to 100 characters of one line of text"))
	}
	if len(p.BillingCode) != BillingCodeLength {
		fields = append(fields, apperr.Field("body.billing_code", "must be %d digits", BillingCodeLength))
	}
	if p.Amount.Amount <= 0 || p.Amount.Currency != CurrencyIDR {
		fields = append(fields, apperr.Field("body.amount", "must be a positive amount in %s", CurrencyIDR))
	}
	if p.PaidAt.IsZero() {
		fields = append(fields, apperr.Field("body.paid_at", "is required (RFC 3339)"))
	}
	if pr := p.Proof; pr == "" || len(pr) > 100 || plaintext.Problem(pr, false) != "" {
		fields = append(fields, apperr.Field("body.proof", "must be 1 to 100 characters of one line of text"))
	}
	if len(fields) > 0 {
		return p, apperr.InvalidFields("The callback body is not valid.", fields...)
	}
	return p, nil
}
