package domain

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"gerbang/pkg/apperr"
	"gerbang/pkg/checkdigit"
)

// NPWP is a normalised Indonesian tax number: 16 digits. A 15-digit NPWP
// (the format before 2024) becomes 16 digits with a leading 0, the rule of
// PMK 112/2022.
type NPWP string

// ParseNPWP accepts 15 or 16 digits, with or without the usual dots, dashes
// and spaces ("01.234.567.8-901.000"), and returns the 16-digit form.
func ParseNPWP(s string) (NPWP, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == '-' || r == ' ':
		default:
			return "", apperr.InvalidFields("the NPWP is not valid",
				apperr.Field("npwp", "use only digits, dots and dashes (e.g. 01.234.567.8-901.000)"))
		}
	}
	d := b.String()
	switch len(d) {
	case 15:
		d = "0" + d
	case 16:
	default:
		return "", apperr.InvalidFields("the NPWP is not valid",
			apperr.Field("npwp", "an NPWP has 15 or 16 digits; this one has %d", len(d)))
	}
	if strings.Trim(d, "0") == "" {
		return "", apperr.InvalidFields("the NPWP is not valid", apperr.Field("npwp", "an NPWP cannot be all zeros"))
	}
	return NPWP(d), nil
}

// NIB is the 13-digit business identification number (Nomor Induk Berusaha).
type NIB string

// NIBLength is the number of digits of an NIB.
const NIBLength = 13

// NewNIB draws an NIB: a non-zero first digit, eleven random digits and a
// Luhn check digit. Uniqueness is the database's (a UNIQUE constraint and a
// retry), so issuing takes no lock shared by all registrations.
func NewNIB(random io.Reader) (NIB, error) {
	if random == nil {
		random = rand.Reader
	}
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(NIBLength-2), nil) // 10^11
	span := new(big.Int).Mul(lo, big.NewInt(9))                          // 9 * 10^11
	n, err := rand.Int(random, span)
	if err != nil {
		return "", fmt.Errorf("draw NIB: %w", err)
	}
	body := n.Add(n, lo).String() // 12 digits, first non-zero
	return NIB(body + string(rune('0'+checkdigit.Luhn(body)))), nil
}

// ValidNIB reports whether s is 13 digits with a correct check digit.
func ValidNIB(s string) bool {
	return len(s) == NIBLength && checkdigit.ValidLuhn(s)
}

// Scale is a business's size class (UU 20/2008, PP 7/2021).
type Scale string

const (
	ScaleMicro  Scale = "micro"
	ScaleSmall  Scale = "small"
	ScaleMedium Scale = "medium"
	ScaleLarge  Scale = "large"
)

// Scales lists the scales from smallest to largest.
func Scales() []Scale { return []Scale{ScaleMicro, ScaleSmall, ScaleMedium, ScaleLarge} }

// Rank orders scales: micro 0 ... large 3; -1 for an unknown scale.
func (s Scale) Rank() int {
	for i, v := range Scales() {
		if v == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known scale.
func (s Scale) Valid() bool { return s.Rank() >= 0 }

// ValidKBLI reports whether s is a 5-digit KBLI code.
func ValidKBLI(s string) bool {
	if len(s) != 5 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Business is a registered business.
type Business struct {
	ID           string
	NIB          NIB
	OwnerSubject string // the user who registered it and acts for it
	Name         string
	NPWP         NPWP
	Address      string
	Scale        Scale
	KBLI         []string
}

// BusinessInput is what an owner gives to register a business.
type BusinessInput struct {
	Name    string
	NPWP    string
	Address string
	Scale   string
	KBLI    []string
}

// NewBusiness checks the input and returns a business without id and NIB
// (the repository assigns both).
func NewBusiness(owner string, in BusinessInput) (Business, error) {
	var fields []apperr.FieldError
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		fields = append(fields, apperr.Field("name", "give the business name (1 to 200 characters)"))
	}
	npwp, err := ParseNPWP(in.NPWP)
	var bad *apperr.Error
	if errors.As(err, &bad) {
		fields = append(fields, bad.Fields...)
	}
	addr := strings.TrimSpace(in.Address)
	if addr == "" || len(addr) > 500 {
		fields = append(fields, apperr.Field("address", "give the business address (1 to 500 characters)"))
	}
	scale := Scale(in.Scale)
	if !scale.Valid() {
		fields = append(fields, apperr.Field("scale", "scale must be one of micro, small, medium, large"))
	}
	kbli := make([]string, 0, len(in.KBLI))
	seen := map[string]bool{}
	for i, k := range in.KBLI {
		if !ValidKBLI(k) {
			fields = append(fields, apperr.Field(fmt.Sprintf("kbli[%d]", i), "a KBLI code has 5 digits"))
			continue
		}
		if !seen[k] {
			seen[k] = true
			kbli = append(kbli, k)
		}
	}
	if len(in.KBLI) == 0 {
		fields = append(fields, apperr.Field("kbli", "name at least one KBLI activity"))
	}
	if len(fields) > 0 {
		return Business{}, apperr.InvalidFields("the business cannot be registered as given", fields...)
	}
	return Business{OwnerSubject: owner, Name: name, NPWP: npwp, Address: addr, Scale: scale, KBLI: kbli}, nil
}

// BusinessPatch changes some of a business's details; nil leaves a detail
// as it is. The NIB and the NPWP never change.
type BusinessPatch struct {
	Name    *string
	Address *string
	Scale   *string
	KBLI    []string // nil: unchanged
}

// Patched returns b with the patch applied, checked as at registration.
func (b Business) Patched(p BusinessPatch) (Business, error) {
	in := BusinessInput{Name: b.Name, NPWP: string(b.NPWP), Address: b.Address, Scale: string(b.Scale), KBLI: b.KBLI}
	if p.Name != nil {
		in.Name = *p.Name
	}
	if p.Address != nil {
		in.Address = *p.Address
	}
	if p.Scale != nil {
		in.Scale = *p.Scale
	}
	if p.KBLI != nil {
		in.KBLI = p.KBLI
	}
	out, err := NewBusiness(b.OwnerSubject, in)
	if err != nil {
		return Business{}, err
	}
	out.ID, out.NIB = b.ID, b.NIB
	return out, nil
}
