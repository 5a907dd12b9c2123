package domain

import (
	"fmt"

	"gerbang/pkg/apperr"
)

// CurrencyIDR is the only currency the service takes today; postings still
// carry their currency so that a ledger balances per currency.
const CurrencyIDR = "IDR"

// Money is an amount of whole units (rupiah) in a currency. No floats.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MaxInvoiceAmount is the largest invoice (a license fee or a bid security)
// and so the largest refund, Rp 100 triliun; the contract's Money takes at
// most Rp 10^15 (a payment, a tender's HPS). Tender and licensing keep their
// bid securities and fees within it, so every invoice they ask for can be
// made. Ledger sums are computed in numeric and checked besides.
const MaxInvoiceAmount int64 = 100_000_000_000_000

// IDR returns amount rupiah.
func IDR(amount int64) Money { return Money{Amount: amount, Currency: CurrencyIDR} }

// NewMoney validates an amount due: positive, in a currency the service takes.
// field names the input field in the error (e.g. "body.amount").
func NewMoney(amount int64, currency, field string) (Money, error) {
	var fields []apperr.FieldError
	if amount <= 0 || amount > MaxInvoiceAmount {
		fields = append(fields, amountField(field+".amount", amount))
	}
	if currency != CurrencyIDR {
		fields = append(fields, apperr.Field(field+".currency", "must be %s", CurrencyIDR))
	}
	if len(fields) > 0 {
		return Money{}, apperr.InvalidFields("The amount is not valid.", fields...)
	}
	return Money{Amount: amount, Currency: currency}, nil
}

func (m Money) String() string { return fmt.Sprintf("%d %s", m.Amount, m.Currency) }

// amountField says what is wrong with an amount due.
func amountField(field string, amount int64) apperr.FieldError {
	if amount > MaxInvoiceAmount {
		return apperr.Field(field, "must be at most %d rupiah", MaxInvoiceAmount)
	}
	return apperr.Field(field, "must be a positive whole number of rupiah")
}
