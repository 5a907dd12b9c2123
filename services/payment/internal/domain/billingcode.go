package domain

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"gerbang/pkg/apperr"
	"gerbang/pkg/checkdigit"
)

// BillingCode is the 15-digit number a payer quotes to the bank, after the
// PNBP (state revenue) billing codes: the first digit is 7, 8 or 9, the next
// 13 digits are random, and the last is a Luhn check digit over the first 14
// (the mod-10 scheme of card numbers: it catches every single-digit error
// and most swaps of adjacent digits).
//
// Codes are not numbered from a counter: a counter row would be a lock shared
// by every invoice creation. The 13 random digits give 10^13 codes per
// prefix; a collision is caught by the unique constraint and the creation
// retried with a fresh code.
type BillingCode string

// BillingCodeLength is the number of digits of a billing code.
const BillingCodeLength = 15

// Billing code prefixes by purpose (all in the state-revenue range 7..9).
const (
	prefixLicenseFee  = '7'
	prefixBidSecurity = '8'
	prefixOther       = '9'
)

// NewBillingCode draws a fresh code for an invoice of purpose.
func NewBillingCode(purpose Purpose) (BillingCode, error) {
	prefix := byte(prefixOther)
	switch purpose {
	case PurposeLicenseFee:
		prefix = prefixLicenseFee
	case PurposeBidSecurity:
		prefix = prefixBidSecurity
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e13))
	if err != nil {
		return "", fmt.Errorf("draw billing code: %w", err)
	}
	body := fmt.Sprintf("%c%013d", prefix, n.Int64())
	return BillingCode(body + string(rune('0'+checkdigit.Luhn(body)))), nil
}

// ParseBillingCode checks a code typed or sent by someone: 15 digits, first
// 7, 8 or 9, a right check digit. field names the input in the error.
func ParseBillingCode(s, field string) (BillingCode, error) {
	bad := func(format string, args ...any) error {
		return apperr.InvalidFields("The billing code is not valid; check it on the invoice.", apperr.Field(field, format, args...))
	}
	if len(s) != BillingCodeLength {
		return "", bad("must be %d digits", BillingCodeLength)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", bad("must be %d digits", BillingCodeLength)
		}
	}
	if s[0] < '7' {
		return "", bad("must begin with 7, 8 or 9")
	}
	if int(s[14]-'0') != checkdigit.Luhn(s[:14]) {
		return "", bad("has a wrong check digit (a digit mistyped?)")
	}
	return BillingCode(s), nil
}
