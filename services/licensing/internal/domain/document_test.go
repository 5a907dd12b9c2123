package domain

import (
	"bytes"
	"testing"

	"gerbang/pkg/apperr"
)

func TestDocumentsAreSniffedSizedAndCheckedWhole(t *testing.T) {
	pdf := []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	png := append([]byte("\x89PNG\r\n\x1a\n...."), 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82)
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9}
	pdfReq := Requirement{Code: "amdal", MaxBytes: 1000, ContentType: "pdf"}
	imgReq := Requirement{Code: "foto", MaxBytes: 1000, ContentType: "image"}
	anyReq := Requirement{Code: "denah", MaxBytes: 1000, ContentType: "any"}
	cases := []struct {
		name string
		req  Requirement
		data []byte
		want apperr.Code // "" = accepted
		ct   string
	}{
		{"pdf", pdfReq, pdf, "", ContentPDF},
		{"png as image", imgReq, png, "", ContentPNG},
		{"jpeg as any", anyReq, jpeg, "", ContentJPEG},
		{"empty", pdfReq, nil, apperr.Invalid, ""},
		{"too large", pdfReq, append(bytes.Repeat([]byte(" "), 1001), pdf...), apperr.TooLarge, ""},
		{"png where a pdf is required", pdfReq, png, apperr.Unsupported, ""},
		{"zip named .pdf", pdfReq, []byte("PK\x03\x04rest"), apperr.Unsupported, ""},
		{"truncated pdf", pdfReq, pdf[:20], apperr.Invalid, ""},
		{"truncated png", imgReq, png[:12], apperr.Invalid, ""},
		{"truncated jpeg", anyReq, jpeg[:6], apperr.Invalid, ""},
	}
	for _, c := range cases {
		ct, sum, err := CheckDocument(c.req, c.data)
		if c.want == "" {
			if err != nil || ct != c.ct || len(sum) != 64 {
				t.Errorf("%s: %q %q %v", c.name, ct, sum, err)
			}
			continue
		}
		if !apperr.Is(err, c.want) {
			t.Errorf("%s: %v; want %s", c.name, err, c.want)
		}
	}
}

func TestUploadsAreAllowedOnlyBeforeSubmissionOrDuringARevision(t *testing.T) {
	for _, s := range States() {
		err := CanUploadIn(s)
		if want := s == StateDraft || s == StateRevisionRequested; want != (err == nil) {
			t.Errorf("%s: %v", s, err)
		}
	}
	if CleanFilename(`C:\x\..\evil\a.pdf`) != "a.pdf" || CleanFilename("") != "document" {
		t.Error("filenames are not cleaned")
	}
}
