package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"gerbang/pkg/apperr"
)

// The rules a sign-up, a new password or a reset request can break. A
// FieldError of this package carries one of them as its Message, and the web
// edge turns it into a sentence in the reader's language.
const (
	RuleRequired    = "required"     // the field is empty
	RuleTooLong     = "too_long"     // longer than the field allows
	RuleEmail       = "email"        // not an email address
	RulePhone       = "phone"        // not an Indonesian phone number
	RuleTooShort    = "too_short"    // a password under MinPasswordChars
	RuleTooWeak     = "too_weak"     // a password easy to guess
	RulePasswordMax = "password_max" // a password over MaxPasswordBytes
	RuleMismatch    = "mismatch"     // the confirmation differs from the password
	RuleWrong       = "wrong"        // the current password is not the account's
)

const (
	// MinPasswordChars is the shortest password accepted (NIST SP 800-63B
	// asks for at least 8).
	MinPasswordChars = 8
	// MaxPasswordBytes is the longest password bcrypt reads in full.
	MaxPasswordBytes = 72
	// MinPasswordScore is the least zxcvbn score (0..4) accepted: 3 is
	// "safely unguessable" (about 10^8 guesses and more).
	MinPasswordScore = 3
	// MaxNameChars bounds a display name.
	MaxNameChars = 100
)

// SignUp is what a person gives to open an account.
type SignUp struct {
	DisplayName     string
	Email           string
	Phone           string
	Password        string
	PasswordConfirm string
}

// Applicant is a sign-up that passed its rules, in stored form.
type Applicant struct {
	DisplayName string
	Email       string // normalised
	Phone       string // E.164, +62...
	Password    string
}

// Check returns the applicant the sign-up names, or an apperr Invalid
// listing every field at fault (Message is one of the Rule constants).
func (s SignUp) Check() (Applicant, error) {
	var fields []apperr.FieldError
	name := strings.TrimSpace(s.DisplayName)
	switch {
	case name == "":
		fields = append(fields, apperr.Field("display_name", RuleRequired))
	case utf8.RuneCountInString(name) > MaxNameChars:
		fields = append(fields, apperr.Field("display_name", RuleTooLong))
	}
	email, err := NormalizeEmail(s.Email)
	switch {
	case strings.TrimSpace(s.Email) == "":
		fields = append(fields, apperr.Field("email", RuleRequired))
	case err != nil:
		fields = append(fields, apperr.Field("email", RuleEmail))
	}
	phone, err := NormalizePhone(s.Phone)
	switch {
	case strings.TrimSpace(s.Phone) == "":
		fields = append(fields, apperr.Field("phone", RuleRequired))
	case err != nil:
		fields = append(fields, apperr.Field("phone", RulePhone))
	}
	fields = append(fields, CheckNewPassword(s.Password, s.PasswordConfirm, name, email, phone)...)
	if len(fields) > 0 {
		return Applicant{}, apperr.InvalidFields("The sign-up is not valid.", fields...)
	}
	return Applicant{DisplayName: name, Email: email, Phone: phone, Password: s.Password}, nil
}

// CheckNewPassword returns what is wrong with a new password and its
// confirmation (fields "password" and "password_confirm"); nothing when it
// will do. userInputs (name, email, phone) make a password built from them
// weak.
func CheckNewPassword(password, confirm string, userInputs ...string) []apperr.FieldError {
	var fields []apperr.FieldError
	switch {
	case password == "":
		fields = append(fields, apperr.Field("password", RuleRequired))
	case utf8.RuneCountInString(password) < MinPasswordChars:
		fields = append(fields, apperr.Field("password", RuleTooShort))
	case len(password) > MaxPasswordBytes:
		fields = append(fields, apperr.Field("password", RulePasswordMax))
	case !PasswordIsStrong(password, userInputs...):
		fields = append(fields, apperr.Field("password", RuleTooWeak))
	}
	switch {
	case confirm == "" && password != "":
		fields = append(fields, apperr.Field("password_confirm", RuleRequired))
	case confirm != password:
		fields = append(fields, apperr.Field("password_confirm", RuleMismatch))
	}
	return fields
}

// PasswordIsStrong reports whether zxcvbn scores password at least
// MinPasswordScore, counting the words of userInputs (and of Gerbang itself)
// as known to an attacker.
func PasswordIsStrong(password string, userInputs ...string) bool {
	known := []string{"gerbang", "perizinan", "pengadaan", "indonesia", "password", "katasandi"}
	for _, in := range userInputs {
		words := strings.FieldsFunc(strings.ToLower(in), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		known = append(known, strings.ToLower(in), strings.Join(words, ""))
		known = append(known, words...)
	}
	return zxcvbn.PasswordStrength(password, known).Score >= MinPasswordScore
}

// NormalizePhone reads an Indonesian mobile or landline number as people
// write it (0812-3456-7890, +62 812 3456 7890, 62812...) and returns it in
// E.164 (+6281234567890).
func NormalizePhone(s string) (string, error) {
	var digits strings.Builder
	s = strings.TrimSpace(s)
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", apperr.InvalidFields("The phone number is not valid.", apperr.Field("phone", RulePhone))
		}
	}
	d := digits.String()
	if strings.HasPrefix(s, "+") && !strings.HasPrefix(d, "62") {
		return "", apperr.InvalidFields("The phone number is not valid.", apperr.Field("phone", RulePhone))
	}
	switch {
	case strings.HasPrefix(d, "62"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	}
	// After the country code: an area or mobile prefix that does not start
	// with 0, 8 to 13 digits in all.
	if len(d) < 8 || len(d) > 13 || d[0] == '0' {
		return "", apperr.InvalidFields("The phone number is not valid.", apperr.Field("phone", RulePhone))
	}
	return "+62" + d, nil
}
