package certificate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// ensureTool installs Debian's package when the machine lacks the program
// (as webtest.EnsureChromium does chromium): the certificate is read as a
// person's phone reads it, everywhere, never skipped.
func ensureTool(t *testing.T, program, pkg string) string {
	t.Helper()
	if path, err := exec.LookPath(program); err == nil {
		return path
	}
	installMu.Lock()
	defer installMu.Unlock()
	if path, err := exec.LookPath(program); err == nil {
		return path
	}
	t.Logf("%s missing: installing Debian's %s", program, pkg)
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", pkg},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	path, err := exec.LookPath(program)
	if err != nil {
		t.Fatalf("%s after installing %s: %v", program, pkg, err)
	}
	return path
}

var installMu sync.Mutex

func run(t *testing.T, program string, args ...string) string {
	t.Helper()
	out, err := exec.Command(program, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", filepath.Base(program), strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

func hotel(until *time.Time) domain.Certificate {
	issued := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC) // 10.00 WIB
	return domain.Certificate{
		License: domain.License{Number: "LIC-2026-000123", HolderName: "Hotel Melati Indah", NIB: "8120012345674", KBLI: "55110",
			LicenseType: "IZIN-HOTEL", LicenseName: "Izin usaha hotel", Risk: domain.RiskHigh,
			IssuedAt: issued, ValidFrom: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC), ValidUntil: until},
		KeyID: "3kR9vQ0pXc7bN2mL5tY8wZ1aS4dF6gH0jK2lM4nO6pQ", VerifyURL: "http://127.0.0.1:8080/verify/LIC-2026-000123",
		PrintedAt: time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC),
	}
}

// The certificate, rendered, printed to an image and read back: its text
// in Bahasa Indonesia first (dates as Indonesians write them), English
// below, the issuing authority, the signature statement with the key id,
// and a QR code that a scanner reads as the verification page.
func TestTheCertificateReadsAsAnIndonesianDocumentAndItsQRCodeOpensTheVerificationPage(t *testing.T) {
	pdftoppm := ensureTool(t, "pdftoppm", "poppler-utils")
	pdftotext := ensureTool(t, "pdftotext", "poppler-utils")
	pdfinfo := ensureTool(t, "pdfinfo", "poppler-utils")
	zbarimg := ensureTool(t, "zbarimg", "zbar-tools")

	until := time.Date(2031, 12, 2, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		cert  domain.Certificate
		lines []string // regular expressions, each matching a line of the page as laid out
	}{
		{"five years", hotel(&until), []string{
			`^\s*PEMERINTAH REPUBLIK INDONESIA\s*$`,
			`^\s*Layanan Perizinan Berusaha Terintegrasi Gerbang\s*$`,
			`^\s*PERIZINAN BERUSAHA BERBASIS RISIKO\s*$`,
			`^\s*Izin usaha hotel\s*$`,
			`^\s*Nomor: LIC-2026-000123\s*$`,
			`Nama pelaku usaha\s+:\s+Hotel Melati Indah`,
			`Nomor Induk Berusaha \(NIB\)\s+:\s+8120012345674`,
			`Kode KBLI\s+:\s+55110`,
			`Jenis perizinan\s+:\s+Izin usaha hotel \(IZIN-HOTEL\)`,
			`Tingkat risiko\s+:\s+Tinggi`,
			`Risk level: High`,
			`Tanggal terbit\s+:\s+3 Desember 2026 pukul 10\.00 WIB`,
			`Issued: 3 December 2026, 10:00 WIB`,
			`Berlaku sejak\s+:\s+3 Desember 2026`,
			`Berlaku sampai\s+:\s+3 Desember 2031`,
			`Valid until: 3 December 2031`,
			`Tanda tangan elektronik`,
			`ditandatangani secara elektronik oleh`,
			`3kR9vQ0pXc7bN2mL5tY8wZ1aS4dF6gH0jK2lM4nO6pQ`,
			`http://127\.0\.0\.1:8080/verify/LIC-2026-000123`,
			`Pindai untuk verifikasi`,
			`Dicetak pada 4 Desember 2026 pukul 08\.30 WIB`,
		}},
		{"while the business runs", hotel(nil), []string{
			`Berlaku sampai\s+:\s+Selama menjalankan usaha`,
			`Valid until: While the business operates`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pdf, err := Render(c.cert)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-32:], []byte("%%EOF")) {
				t.Fatalf("not a whole PDF (%d bytes)", len(pdf))
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "certificate.pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			if info := run(t, pdfinfo, file); !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(info) {
				t.Errorf("the certificate is not one page:\n%s", info)
			}
			layout := run(t, pdftotext, "-layout", file, "-")
			for _, want := range c.lines {
				if !regexp.MustCompile(`(?m)` + want).MatchString(layout) {
					t.Errorf("no line matches %s in:\n%s", want, layout)
				}
			}
			if strings.Contains(layout, "December 2026 ") && !strings.Contains(layout, "Desember 2026") {
				t.Errorf("the dates are not in Bahasa Indonesia first:\n%s", layout)
			}

			// Printed at 150 dpi, as a phone's camera sees a printed page.
			run(t, pdftoppm, "-r", "150", "-png", "-singlefile", file, filepath.Join(dir, "page"))
			got := strings.TrimSpace(run(t, zbarimg, "--quiet", "--raw", filepath.Join(dir, "page.png")))
			if got != c.cert.VerifyURL {
				t.Fatalf("the QR code reads %q, want %q", got, c.cert.VerifyURL)
			}
			if dir := os.Getenv("CERTIFICATE_PREVIEW_DIR"); dir != "" { // kept for a person to look at
				out := filepath.Join(dir, fmt.Sprintf("certificate-%s.png", strings.ReplaceAll(c.name, " ", "-")))
				run(t, pdftoppm, "-r", "80", "-png", "-singlefile", file, strings.TrimSuffix(out, ".png"))
				t.Logf("preview: %s", out)
			}
		})
	}
}

func TestEveryRiskLevelHasItsWordsOnTheCertificate(t *testing.T) {
	for _, r := range domain.RiskLevels() {
		if w, ok := risks[r]; !ok || w[0] == "" || w[1] == "" {
			t.Errorf("risk %s has no words: %q", r, w)
		}
	}
}

func TestDatesAreWrittenAsIndonesianDocumentsWriteThem(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		date string
		when string
	}{
		{time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC), "3 Desember 2026", "3 Desember 2026 pukul 10.00 WIB"},
		{time.Date(2026, 12, 31, 17, 5, 0, 0, time.UTC), "1 Januari 2027", "1 Januari 2027 pukul 00.05 WIB"}, // the day in Jakarta, not in UTC
		{time.Date(2027, 8, 17, 2, 0, 0, 0, time.UTC), "17 Agustus 2027", "17 Agustus 2027 pukul 09.00 WIB"},
	} {
		if got := Tanggal(c.at); got != c.date {
			t.Errorf("Tanggal(%s) = %q, want %q", c.at, got, c.date)
		}
		if got := Waktu(c.at); got != c.when {
			t.Errorf("Waktu(%s) = %q, want %q", c.at, got, c.when)
		}
	}
}
