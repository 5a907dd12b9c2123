package domain

import (
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/pkg/checkdigit"
)

func TestNewBillingCodesAre15DigitsWithStateRevenuePrefixAndValidCheckDigit(t *testing.T) {
	for _, tc := range []struct {
		purpose Purpose
		prefix  byte
	}{{PurposeLicenseFee, '7'}, {PurposeBidSecurity, '8'}, {PurposeOther, '9'}} {
		seen := map[BillingCode]bool{}
		for range 1000 {
			code, err := NewBillingCode(tc.purpose)
			if err != nil {
				t.Fatal(err)
			}
			if code[0] != tc.prefix {
				t.Fatalf("%s code %s: want prefix %c", tc.purpose, code, tc.prefix)
			}
			if _, err := ParseBillingCode(string(code), "code"); err != nil {
				t.Fatalf("generated code %s does not parse: %v", code, err)
			}
			seen[code] = true
		}
		if len(seen) < 999 {
			t.Fatalf("%s: only %d distinct codes of 1000", tc.purpose, len(seen))
		}
	}
}

func TestLuhnCheckDigitOfAKnownNumber(t *testing.T) {
	// 7992739871 is the textbook Luhn example: its check digit is 3.
	if d := checkdigit.Luhn("7992739871"); d != 3 {
		t.Fatalf("check digit of 7992739871 = %d, want 3", d)
	}
}

func TestParseBillingCodeRefusesMalformedCodes(t *testing.T) {
	good := string(mustCode(t))
	flip := []byte(good)
	flip[5] = '0' + (flip[5]-'0'+1)%10
	swap := []byte(good)
	for i := 1; i < 13; i++ { // swap two adjacent distinct digits (not 0/9, the one pair Luhn misses)
		a, b := swap[i], swap[i+1]
		if a != b && !(a == '0' && b == '9') && !(a == '9' && b == '0') {
			swap[i], swap[i+1] = b, a
			break
		}
	}
	cases := map[string]string{
		"empty":               "",
		"too short":           good[:14],
		"too long":            good + "1",
		"letters":             "7abc" + good[4:],
		"wrong prefix":        "1" + good[1:],
		"single digit typo":   string(flip),
		"adjacent digit swap": string(swap),
	}
	for name, code := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBillingCode(code, "billing_code")
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParseBillingCode(%q) = %v, want invalid", code, err)
			}
		})
	}
}

func mustCode(t *testing.T) BillingCode {
	t.Helper()
	c, err := NewBillingCode(PurposeLicenseFee)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
