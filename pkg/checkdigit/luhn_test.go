package checkdigit

import (
	"strconv"
	"testing"
)

func TestLuhnOfKnownNumbers(t *testing.T) {
	cases := []struct {
		body string
		want int
	}{
		{"7992739871", 3}, // the textbook example
		{"4539578763621486"[:15], 6},
		{"0", 0},
	}
	for _, c := range cases {
		if got := Luhn(c.body); got != c.want {
			t.Errorf("Luhn(%q) = %d, want %d", c.body, got, c.want)
		}
	}
}

func TestEverySingleMistypedDigitIsCaught(t *testing.T) {
	body := "81200123456"
	good := body + strconv.Itoa(Luhn(body))
	if !ValidLuhn(good) {
		t.Fatalf("%s does not pass", good)
	}
	for i := range good {
		for d := byte('0'); d <= '9'; d++ {
			if d == good[i] {
				continue
			}
			typo := good[:i] + string(d) + good[i+1:]
			if ValidLuhn(typo) {
				t.Errorf("%s (digit %d mistyped) passes", typo, i)
			}
		}
	}
	for _, bad := range []string{"", "7", "12a4", "8120012345675x"} {
		if ValidLuhn(bad) {
			t.Errorf("ValidLuhn(%q) = true", bad)
		}
	}
}
