// Package plaintext tells whether a string is text a person can read and
// PostgreSQL can store: valid UTF-8 without control characters. The
// request validator (pkg/oapi) applies it to every field of every request;
// parsers of other input (CSV statements, callbacks, upload names) use it
// for the values they take.
package plaintext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NotUTF8 stands, in a decoded value, for a byte that was not UTF-8 (the
// validator marks such bytes with it before decoding, since encoding/json
// would silently turn them into U+FFFD). U+10FFFF is a noncharacter, never
// text.
const NotUTF8 = '\U0010FFFF'

// Problem says what is wrong with s as the text of a field, or "" when
// nothing is: text must be valid UTF-8 and hold no control characters
// (C0, DEL, C1), except tab, line feed and carriage return where multiline.
// PostgreSQL refuses a NUL in text, and a log line or page showing a
// control character misleads its reader.
func Problem(s string, multiline bool) string {
	if !utf8.ValidString(s) || strings.ContainsRune(s, NotUTF8) {
		return "is not valid UTF-8 text"
	}
	for _, r := range s {
		if !unicode.IsControl(r) {
			continue
		}
		if multiline && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if multiline {
			return fmt.Sprintf("must not contain the control character U+%04X (only tabs and line breaks are allowed)", r)
		}
		return fmt.Sprintf("must not contain the control character U+%04X (it takes one line of text)", r)
	}
	return ""
}
