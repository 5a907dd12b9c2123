package domain

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"gerbang/pkg/apperr"
)

// Whatever bytes are uploaded, the check names a type it sniffed from the
// content (never from the name) or refuses with a 4xx code, and never
// panics.
func FuzzCheckDocument(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n1 0 obj\n%%EOF\n"), "pdf")
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\xaeB`\x82"), "image")
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9}, "any")
	f.Add([]byte("%PDF-"), "pdf")
	f.Add([]byte("GIF89a"), "image")
	f.Add([]byte{}, "pdf")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		ct, sum, err := CheckDocument(Requirement{Code: "npwp", ContentType: kind, MaxBytes: 1 << 20}, data)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.TooLarge && ae.Code != apperr.Unsupported) {
				t.Fatalf("CheckDocument: %v, want an invalid, too large or unsupported refusal", err)
			}
			return
		}
		if ct != sniff(data) || ct == "" || len(sum) != 64 || !complete(ct, data) {
			t.Fatalf("CheckDocument accepted %q as %q (%s)", data, ct, sum)
		}
	})
}

// An uploaded file name is stored as text a person and PostgreSQL can read.
func FuzzCleanFilename(f *testing.F) {
	for _, seed := range []string{"akta.pdf", "../../etc/passwd", "C:\\x\\npwp.png", "a\x00b.pdf", "\xff\xfe.pdf", strings.Repeat("é", 150), "", "/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := CleanFilename(name)
		if got == "" || len(got) > 200 || !utf8.ValidString(got) || strings.ContainsAny(got, `/\`) || strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Fatalf("CleanFilename(%q) = %q", name, got)
		}
	})
}
