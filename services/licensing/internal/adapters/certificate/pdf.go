// Package certificate renders a license certificate as a PDF with a QR code
// pointing to the public verification page.
package certificate

import (
	"bytes"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"gerbang/services/licensing/internal/domain"
)

// Render returns the PDF certificate of a license; verifyURL is what its QR
// code encodes.
func Render(l domain.License, verifyURL string, at time.Time) ([]byte, error) {
	qr, err := qrcode.Encode(verifyURL, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("QR code of %s: %w", l.Number, err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	// Uncompressed text: small anyway, and its content can be checked and indexed.
	pdf.SetCompression(false)
	pdf.SetTitle("Sertifikat "+l.Number, true)
	pdf.SetCreator("Gerbang licensing", true)
	pdf.SetCreationDate(at.UTC())
	pdf.SetModificationDate(at.UTC())
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")

	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 12, tr("PERIZINAN BERUSAHA BERBASIS RISIKO"), "", 1, "C", false, 0, "")
	pdf.SetFont("Helvetica", "", 12)
	pdf.CellFormat(0, 8, tr(l.LicenseName), "", 1, "C", false, 0, "")
	pdf.Ln(6)

	row := func(label, value string) {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(55, 8, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 8, tr(value), "", "L", false)
	}
	jkt := domain.Jakarta()
	until := "selama menjalankan usaha (without expiry)"
	if l.ValidUntil != nil {
		until = l.ValidUntil.In(jkt).Format("2 January 2006")
	}
	row("Nomor / Number", l.Number)
	row("Pemegang / Holder", l.HolderName)
	row("NIB", string(l.NIB))
	row("KBLI", l.KBLI)
	row("Jenis / Type", l.LicenseType)
	row("Tingkat risiko / Risk", string(l.Risk))
	row("Terbit / Issued", l.IssuedAt.In(jkt).Format("2 January 2006 15:04 WIB"))
	row("Berlaku dari / Valid from", l.ValidFrom.In(jkt).Format("2 January 2006"))
	row("Berlaku sampai / Valid until", until)
	pdf.Ln(8)

	opt := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: false}
	pdf.RegisterImageOptionsReader("qr", opt, bytes.NewReader(qr))
	pdf.ImageOptions("qr", 75, pdf.GetY(), 60, 60, false, opt, 0, "")
	pdf.SetY(pdf.GetY() + 62)
	pdf.SetFont("Helvetica", "", 9)
	pdf.MultiCell(0, 5, tr("Pindai kode QR untuk memeriksa keaslian dan status terkini izin ini / Scan the QR code to verify this license and its live status: "+verifyURL), "", "C", false)

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render certificate of %s: %w", l.Number, err)
	}
	return out.Bytes(), nil
}
