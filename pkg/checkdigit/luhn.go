// Package checkdigit computes the check digits that let a person's typing
// mistake in a number (an NIB, a billing code) be caught at once.
package checkdigit

// Luhn returns the digit that makes digits+check pass the Luhn test: from
// the rightmost digit of digits leftwards, every other digit (starting with
// the rightmost) is doubled, 9 subtracted when over 9, all summed; the
// check digit brings the sum to a multiple of 10. It catches every single
// mistyped digit and most swaps of neighbours. digits must be ASCII digits.
func Luhn(digits string) int {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// ValidLuhn reports whether s (digits only, check digit last) passes.
func ValidLuhn(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return int(s[len(s)-1]-'0') == Luhn(s[:len(s)-1])
}
