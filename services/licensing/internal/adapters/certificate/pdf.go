// Package certificate renders a license certificate as a PDF that reads as
// an Indonesian official document: the issuing authority, the values in
// Bahasa Indonesia first and English below them, smaller, the
// electronic-signature statement with the key id, and a QR code that opens
// the public verification page.
package certificate

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/yeqown/go-qrcode/v2"

	"gerbang/services/licensing/internal/domain"
)

// The authority that issues every license, as the certificate names it.
const (
	Government   = "PEMERINTAH REPUBLIK INDONESIA"
	Authority    = "Layanan Perizinan Berusaha Terintegrasi Gerbang"
	AuthorityEN  = "Government of the Republic of Indonesia — Gerbang Integrated Business Licensing Service"
	documentKind = "PERIZINAN BERUSAHA BERBASIS RISIKO"
)

var months = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// Tanggal writes a date as Indonesian documents do, in WIB: 3 Desember 2026.
func Tanggal(t time.Time) string {
	t = t.In(domain.Jakarta())
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// Waktu writes a date and time as Indonesian documents do: 3 Desember 2026
// pukul 10.00 WIB.
func Waktu(t time.Time) string {
	return Tanggal(t) + " pukul " + t.In(domain.Jakarta()).Format("15.04") + " WIB"
}

func dateEN(t time.Time) string { return t.In(domain.Jakarta()).Format("2 January 2006") }

// Risk levels in Bahasa Indonesia and in English.
var risks = map[domain.RiskLevel][2]string{
	domain.RiskLow:        {"Rendah", "Low"},
	domain.RiskMediumLow:  {"Menengah rendah", "Medium-low"},
	domain.RiskMediumHigh: {"Menengah tinggi", "Medium-high"},
	domain.RiskHigh:       {"Tinggi", "High"},
}

// row is one line of the certificate's table: the label and value in
// Bahasa Indonesia, and the same in English below, smaller.
type row struct{ label, value, labelEN, valueEN string }

func rowsOf(l domain.License) []row {
	risk, ok := risks[l.Risk]
	if !ok {
		risk = [2]string{string(l.Risk), string(l.Risk)}
	}
	until, untilEN := "Selama menjalankan usaha", "While the business operates"
	if l.ValidUntil != nil {
		until, untilEN = Tanggal(*l.ValidUntil), dateEN(*l.ValidUntil)
	}
	return []row{
		{"Nama pelaku usaha", l.HolderName, "Holder", ""},
		{"Nomor Induk Berusaha (NIB)", string(l.NIB), "Business identification number", ""},
		{"Kode KBLI", l.KBLI, "Business activity (KBLI)", ""},
		{"Jenis perizinan", l.LicenseName + " (" + l.LicenseType + ")", "License type", ""},
		{"Tingkat risiko", risk[0], "Risk level", risk[1]},
		{"Tanggal terbit", Waktu(l.IssuedAt), "Issued", l.IssuedAt.In(domain.Jakarta()).Format("2 January 2006, 15:04") + " WIB"},
		{"Berlaku sejak", Tanggal(l.ValidFrom), "Valid from", dateEN(l.ValidFrom)},
		{"Berlaku sampai", until, "Valid until", untilEN},
	}
}

// Render returns the PDF certificate c describes.
func Render(c domain.Certificate) ([]byte, error) {
	l := c.License
	qr, err := qrPNG(c.VerifyURL)
	if err != nil {
		return nil, fmt.Errorf("QR code of %s: %w", l.Number, err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	// Uncompressed text: small anyway, and its content can be checked and indexed.
	pdf.SetCompression(false)
	pdf.SetTitle("Sertifikat "+documentKind+" "+l.Number, true)
	pdf.SetAuthor(Authority, true)
	pdf.SetCreator("Gerbang licensing", true)
	pdf.SetLang("id-ID")
	pdf.SetCreationDate(c.PrintedAt.UTC())
	pdf.SetModificationDate(c.PrintedAt.UTC())
	pdf.SetMargins(22, 20, 22)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	const black, grey = 0, 90
	text := func(style string, size float64, shade int, h float64, align, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.SetTextColor(shade, shade, shade)
		pdf.MultiCell(0, h, tr(s), "", align, false)
	}

	// A double frame, as printed certificates have.
	pdf.SetDrawColor(40, 40, 40)
	pdf.SetLineWidth(0.8)
	pdf.Rect(10, 10, 190, 277, "D")
	pdf.SetLineWidth(0.2)
	pdf.Rect(12.5, 12.5, 185, 272, "D")

	// The issuing authority.
	pdf.SetY(22)
	text("B", 14, black, 7, "C", Government)
	text("B", 11, black, 6, "C", Authority)
	text("I", 8, grey, 4.5, "C", AuthorityEN)
	pdf.Ln(2)
	pdf.SetLineWidth(0.6)
	pdf.Line(22, pdf.GetY(), 188, pdf.GetY())
	pdf.Ln(8)

	// What the document is, and its number.
	text("B", 17, black, 8, "C", documentKind)
	text("I", 9, grey, 5, "C", "Risk-based business license")
	pdf.Ln(3)
	text("B", 13, black, 7, "C", l.LicenseName)
	text("B", 12, black, 7, "C", "Nomor: "+l.Number)
	text("I", 8, grey, 4.5, "C", "Number: "+l.Number)
	pdf.Ln(6)

	text("", 10, black, 5, "J", "Pemerintah Republik Indonesia, melalui "+Authority+", menerbitkan perizinan berusaha ini kepada pelaku usaha berikut untuk kegiatan usaha yang disebutkan:")
	text("I", 8, grey, 4, "J", "The Government of the Republic of Indonesia, through the Gerbang Integrated Business Licensing Service, issues this business license to the following business for the activity named:")
	pdf.Ln(4)

	for _, r := range rowsOf(l) {
		y := pdf.GetY()
		pdf.SetFont("Helvetica", "B", 10)
		pdf.SetTextColor(black, black, black)
		pdf.SetXY(22, y)
		pdf.CellFormat(62, 5.5, tr(r.label), "", 0, "L", false, 0, "")
		pdf.CellFormat(4, 5.5, ":", "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5.5, tr(r.value), "", "L", false)
		en := r.labelEN
		if r.valueEN != "" {
			en += ": " + r.valueEN
		}
		pdf.SetX(22)
		pdf.SetFont("Helvetica", "I", 7.5)
		pdf.SetTextColor(grey, grey, grey)
		pdf.CellFormat(0, 4, tr(en), "", 1, "L", false, 0, "")
		pdf.Ln(0.6)
	}
	pdf.Ln(4)
	text("", 9, black, 4.5, "J", "Perizinan berusaha ini berlaku sepanjang pelaku usaha memenuhi ketentuan peraturan perundang-undangan. Izin dapat dibekukan atau dicabut; statusnya yang berlaku hanya yang ditunjukkan halaman verifikasi.")
	text("I", 7.5, grey, 4, "J", "This license holds while the business meets the law. It can be suspended or revoked; its status in force is only the one the verification page shows.")

	// The electronic signature: the statement beside the QR code.
	top := pdf.GetY() + 9
	const qrSize = 44.0
	pdf.SetLineWidth(0.2)
	pdf.Line(22, top-4, 188, top-4)
	pdf.SetXY(22, top)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.SetTextColor(black, black, black)
	pdf.CellFormat(0, 5, tr("Tanda tangan elektronik"), "", 1, "L", false, 0, "")
	pdf.SetX(22)
	pdf.SetFont("Helvetica", "I", 7.5)
	pdf.SetTextColor(grey, grey, grey)
	pdf.CellFormat(0, 4, tr("Electronic signature"), "", 1, "L", false, 0, "")
	pdf.Ln(1)
	statementWidth := 188 - 22 - qrSize - 6
	para := func(style string, size float64, shade int, h float64, s string) {
		pdf.SetX(22)
		pdf.SetFont("Helvetica", style, size)
		pdf.SetTextColor(shade, shade, shade)
		pdf.MultiCell(statementWidth, h, tr(s), "", "L", false)
	}
	signedBy, signedByEN := "Dokumen ini ditandatangani secara elektronik oleh "+Authority, "This document is electronically signed by the Gerbang Integrated Business Licensing Service"
	if c.KeyID != "" {
		signedBy += " dengan kunci Ed25519 berpengenal " + c.KeyID
		signedByEN += " with the Ed25519 key whose id is " + c.KeyID
	}
	para("", 8.5, black, 4.2, signedBy+"; tidak memerlukan tanda tangan basah dan cap. Periksa keaslian dan status terkininya dengan memindai kode QR atau membuka:")
	para("B", 8.5, black, 4.2, c.VerifyURL)
	para("I", 7, grey, 3.6, signedByEN+"; it needs no wet signature or stamp. Verify it and its live status by scanning the QR code or opening the address above.")

	opt := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: false}
	pdf.RegisterImageOptionsReader("qr", opt, bytes.NewReader(qr))
	pdf.ImageOptions("qr", 188-qrSize, top, qrSize, qrSize, false, opt, 0, "")
	pdf.SetXY(188-qrSize, top+qrSize)
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetTextColor(black, black, black)
	pdf.CellFormat(qrSize, 3.5, tr("Pindai untuk verifikasi"), "", 2, "C", false, 0, "")
	pdf.SetFont("Helvetica", "I", 6.5)
	pdf.SetTextColor(grey, grey, grey)
	pdf.CellFormat(qrSize, 3.2, tr("Scan to verify"), "", 0, "C", false, 0, "")

	pdf.SetXY(22, 276)
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetTextColor(grey, grey, grey)
	pdf.CellFormat(0, 3.5, tr("Dicetak pada "+Waktu(c.PrintedAt)+" · Printed "+dateEN(c.PrintedAt)), "", 0, "C", false, 0, "")

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render certificate of %s: %w", l.Number, err)
	}
	return out.Bytes(), nil
}

// qrPNG is the QR code of text as a PNG: black modules on white, with the
// quiet zone of four modules a scanner needs.
func qrPNG(text string) ([]byte, error) {
	code, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, err
	}
	var w bitmap
	if err := code.Save(&w); err != nil {
		return nil, err
	}
	const quiet, scale = 4, 10
	n := len(w.bits)
	side := (n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, line := range w.bits {
		for x, dark := range line {
			if !dark {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray((x+quiet)*scale+dx, (y+quiet)*scale+dy, color.Gray{})
				}
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// bitmap is a qrcode.Writer that keeps the matrix's modules.
type bitmap struct{ bits [][]bool }

func (b *bitmap) Write(m qrcode.Matrix) error {
	b.bits = m.Bitmap()
	return nil
}

func (b *bitmap) Close() error { return nil }
