package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gerbang/pkg/apperr"
)

// Content types a document may have, sniffed from its bytes.
const (
	ContentPDF  = "application/pdf"
	ContentPNG  = "image/png"
	ContentJPEG = "image/jpeg"
)

// Document is an uploaded file for one requirement of an application.
// Documents are never changed: a revision adds a new one.
type Document struct {
	ID            string
	ApplicationID string
	Requirement   string
	Filename      string
	ContentType   string
	SizeBytes     int64
	SHA256        string
	BlobKey       string
	UploadedBy    string
	UploadedAt    time.Time
}

// sniff names the content type of data by its magic bytes; "" when it is
// none of PDF, PNG and JPEG.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return ContentPDF
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return ContentPNG
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return ContentJPEG
	}
	return ""
}

// complete reports whether a file of the sniffed type ends as a whole one
// does, so an upload cut short is refused.
func complete(contentType string, data []byte) bool {
	switch contentType {
	case ContentPDF:
		tail := data[max(0, len(data)-1024):]
		return bytes.Contains(tail, []byte("%%EOF"))
	case ContentPNG:
		return bytes.HasSuffix(data, []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82})
	case ContentJPEG:
		return bytes.HasSuffix(bytes.TrimRight(data, "\x00\r\n "), []byte{0xFF, 0xD9})
	}
	return false
}

func accepted(kind string) []string {
	switch kind {
	case "pdf":
		return []string{ContentPDF}
	case "image":
		return []string{ContentPNG, ContentJPEG}
	default:
		return []string{ContentPDF, ContentPNG, ContentJPEG}
	}
}

// CheckDocument checks an upload against its requirement and returns its
// sniffed content type and SHA-256 (hex): empty is Invalid, over the
// requirement's size TooLarge, a type it does not take Unsupported, a file
// cut short Invalid.
func CheckDocument(req Requirement, data []byte) (contentType, sum string, err error) {
	if len(data) == 0 {
		return "", "", apperr.InvalidFields("the file is empty", apperr.Field("file", "choose a file with content"))
	}
	if req.MaxBytes > 0 && int64(len(data)) > req.MaxBytes {
		return "", "", apperr.New(apperr.TooLarge, "the file is %d bytes; %s takes at most %d bytes", len(data), req.Code, req.MaxBytes)
	}
	ct := sniff(data)
	ok := false
	for _, a := range accepted(req.ContentType) {
		ok = ok || a == ct
	}
	if !ok {
		what := ct
		if what == "" {
			what = "not a PDF, PNG or JPEG file"
		}
		return "", "", apperr.New(apperr.Unsupported, "the file is %s; %s takes %s", what, req.Code, strings.Join(accepted(req.ContentType), " or ")).
			With("accepted", accepted(req.ContentType))
	}
	if !complete(ct, data) {
		return "", "", apperr.InvalidFields("the file is truncated", apperr.Field("file", "the %s ends before its end marker; upload it again", ct))
	}
	h := sha256.Sum256(data)
	return ct, hex.EncodeToString(h[:]), nil
}

// RequirementOf finds a requirement by code.
func RequirementOf(reqs []Requirement, code string) (Requirement, error) {
	for _, r := range reqs {
		if r.Code == code {
			return r, nil
		}
	}
	codes := make([]string, len(reqs))
	for i, r := range reqs {
		codes[i] = r.Code
	}
	return Requirement{}, apperr.InvalidFields("no such requirement",
		apperr.Field("requirement", "%q is not a requirement of this application (requirements: %s)", code, strings.Join(codes, ", ")))
}

// CleanFilename keeps the last path element of an uploaded name, as valid
// UTF-8 without control characters, at most 200 bytes (cut between
// characters).
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		name = "document"
	}
	return name
}

// CanUploadIn reports whether documents may be added in state s: while a
// draft, and while a revision is requested.
func CanUploadIn(s State) error {
	if s == StateDraft || s == StateRevisionRequested {
		return nil
	}
	return apperr.New(apperr.Conflict, "documents of an application that is %s cannot change", strings.ReplaceAll(string(s), "_", " ")).
		With("current_state", string(s))
}
