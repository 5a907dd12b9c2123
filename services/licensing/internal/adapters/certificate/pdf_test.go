package certificate

import (
	"bytes"
	"testing"
	"time"

	"gerbang/services/licensing/internal/domain"
)

func TestCertificateIsAPDFWithTheLicenseAndItsQRCode(t *testing.T) {
	now := time.Date(2026, 3, 20, 3, 0, 0, 0, time.UTC)
	until := now.AddDate(5, 0, 0)
	l := domain.License{Number: "LIC-2026-000123", HolderName: "Hotel Melati Indah", NIB: "8120012345674", KBLI: "55110",
		LicenseType: "IZIN-HOTEL", LicenseName: "Izin usaha hotel", Risk: domain.RiskHigh, IssuedAt: now, ValidFrom: now, ValidUntil: &until}
	pdf, err := Render(l, "http://127.0.0.1:8080/verify/LIC-2026-000123", now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-32:], []byte("%%EOF")) {
		t.Fatalf("not a whole PDF (%d bytes)", len(pdf))
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Fatal("the PDF carries no image (the QR code)")
	}
	for _, want := range []string{"LIC-2026-000123", "Hotel Melati Indah", "8120012345674", "55110"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the PDF does not show %q", want)
		}
	}
	if len(pdf) < 2000 {
		t.Fatalf("PDF of %d bytes is too small to hold the license", len(pdf))
	}
}
