package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path/filepath"
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/pkg/idempotency"
	"gerbang/services/licensing/internal/domain"
)

func pdfOf(size int) []byte {
	head, tail := []byte("%PDF-1.7\n"), []byte("\n%%EOF\n")
	return append(append(head, bytes.Repeat([]byte("x"), max(0, size-len(head)-len(tail)))...), tail...)
}

func (h *harness) blobFiles() int {
	n := 0
	_ = filepath.WalkDir(h.blobDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestDocumentUploadsAreCheckedAndBadOnesLeaveNothingBehind(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "55110")
	a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "55110", 150, "") // IZIN-HOTEL: pbg (pdf, 10 MiB), denah_bangunan (any), amdal (pdf, 20 MiB)
	if err != nil {
		t.Fatal(err)
	}
	good := pdfOf(4096)
	doc, err := h.svc.UploadDocument(h.ctx, owner, a.ID, "amdal", "../../AMDAL hotel.pdf", good)
	sum := sha256.Sum256(good)
	if err != nil || doc.ContentType != domain.ContentPDF || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.Filename != "AMDAL hotel.pdf" {
		t.Fatalf("upload: %+v %v", doc, err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\nxxxx"), 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82)
	bad := []struct {
		name        string
		requirement string
		data        []byte
		want        apperr.Code
	}{
		{name: "empty", requirement: "pbg", data: nil, want: apperr.Invalid},
		{name: "png for a pdf requirement", requirement: "pbg", data: png, want: apperr.Unsupported},
		{name: "truncated pdf", requirement: "pbg", data: good[:2000], want: apperr.Invalid},
		{name: "over the requirement's 10 MiB", requirement: "pbg", data: pdfOf(10<<20 + 1), want: apperr.TooLarge},
		{name: "unknown requirement", requirement: "sertifikat_halal", data: good, want: apperr.Invalid},
	}
	for _, c := range bad {
		if _, err := h.svc.UploadDocument(h.ctx, owner, a.ID, c.requirement, "f", c.data); !apperr.Is(err, c.want) {
			t.Errorf("%s: %v; want %s", c.name, err, c.want)
		}
	}
	if _, err := h.svc.UploadDocument(h.ctx, other, a.ID, "pbg", "f", good); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another business uploading: %v", err)
	}
	if _, err := h.svc.UploadDocument(h.ctx, officer, a.ID, "pbg", "f", good); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("an officer uploading: %v", err)
	}
	if n := h.count(`SELECT count(*) FROM document`); n != 1 {
		t.Fatalf("%d documents stored; want only the good one", n)
	}
	if n := h.blobFiles(); n != 1 {
		t.Fatalf("%d blob files; want only the good one", n)
	}
	got, data, err := h.svc.DocumentContent(h.ctx, officer, a.ID, doc.ID)
	if err != nil || !bytes.Equal(data, good) || got.ID != doc.ID {
		t.Fatalf("officer download: %v", err)
	}
	if _, _, err := h.svc.DocumentContent(h.ctx, other, a.ID, doc.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another business downloading: %v", err)
	}

	// Immutable after submission; a revision adds a new version.
	if _, err := h.svc.Submit(h.ctx, owner, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UploadDocument(h.ctx, owner, a.ID, "pbg", "f", good); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("upload after submission: %v", err)
	}
	if _, err := h.db.ExecContext(h.ctx, `UPDATE document SET sha256 = 'x' WHERE id = $1`, doc.ID); err == nil {
		t.Fatal("a stored document was changed")
	}
	if _, err := h.svc.RequestRevision(h.ctx, officer, a.ID, 0, []domain.Revision{{Requirement: "amdal", Note: "annexes"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UploadDocument(h.ctx, owner, a.ID, "amdal", "amdal-v2.pdf", pdfOf(5000)); err != nil {
		t.Fatalf("upload during revision: %v", err)
	}
	docs, err := h.svc.Documents(h.ctx, owner, a.ID)
	if err != nil || len(docs) != 2 || docs[0].ID != doc.ID {
		t.Fatalf("documents %+v %v", docs, err)
	}
}
