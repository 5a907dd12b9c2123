package http

import (
	"strconv"
	"time"

	"gerbang/services/portal/internal/domain"
)

// How the pages write times, money and the services' codes for people.

// wib writes a time (time.Time or *time.Time) in WIB; a nil time is empty.
func wib(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	return t.In(WIB).Format("02-01-2006 15:04") + " WIB"
}

// rupiah writes an amount as Indonesians do: Rp 1.000.000.000.
func rupiah(m *domain.Money) string {
	if m == nil {
		return ""
	}
	digits := strconv.FormatInt(m.Amount, 10)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	out := make([]byte, 0, len(digits)+len(digits)/3)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, digits[i])
	}
	return sign + "Rp " + string(out)
}

// label is a code of a service said in Bahasa Indonesia and English, with
// the tone of its badge (good, caution, bad, neutral).
type label struct {
	ID, EN string
	Tone   string
}

// licenseLabel is a license status with what it means for whoever relies on
// the license, and the class of the box that says so.
type licenseLabel struct {
	label
	Meaning, MeaningEN string
	Box                string
}

var licenseLabels = map[domain.LicenseStatus]licenseLabel{
	domain.LicenseActive: {label{"Aktif", "Active", "good"},
		"Izin ini sah dan berlaku.", "This license is valid and in force.", "ok"},
	domain.LicenseSuspended: {label{"Dibekukan", "Suspended", "caution"},
		"Izin ini sedang dibekukan: tidak berlaku sampai dipulihkan oleh petugas perizinan.",
		"This license is suspended: it is not in force until a licensing officer reinstates it.", "warn"},
	domain.LicenseRevoked: {label{"Dicabut", "Revoked", "bad"},
		"Izin ini telah dicabut dan tidak berlaku lagi.", "This license has been revoked and is no longer valid.", "error"},
	domain.LicenseExpired: {label{"Kedaluwarsa", "Expired", "bad"},
		"Masa berlaku izin ini telah habis.", "This license has expired.", "error"},
}

func licenseLabelOf(s domain.LicenseStatus) licenseLabel {
	if l, ok := licenseLabels[s]; ok {
		return l
	}
	return licenseLabel{label{string(s), string(s), "neutral"},
		"Status tidak dikenal; hubungi petugas perizinan.", "Unknown status; ask a licensing officer.", "warn"}
}

var tenderStates = map[string]label{
	"draft":            {"Draf", "Draft", "neutral"},
	"announced":        {"Diumumkan", "Announced", "neutral"},
	"tendering":        {"Masa penawaran", "Open for bids", "good"},
	"opening":          {"Pembukaan penawaran", "Opening bids", "caution"},
	"evaluation":       {"Evaluasi", "Evaluation", "caution"},
	"award_proposed":   {"Usulan pemenang", "Award proposed", "caution"},
	"objection_period": {"Masa sanggah", "Objection period", "caution"},
	"awarded":          {"Pemenang ditetapkan", "Awarded", "neutral"},
	"contracted":       {"Berkontrak", "Contracted", "neutral"},
	"cancelled":        {"Dibatalkan", "Cancelled", "bad"},
	"failed":           {"Gagal", "Failed", "bad"},
}

var categories = map[string]label{
	"goods":          {"Barang", "Goods", ""},
	"works":          {"Pekerjaan konstruksi", "Works", ""},
	"consulting":     {"Jasa konsultansi", "Consulting services", ""},
	"other_services": {"Jasa lainnya", "Other services", ""},
}

var evaluationMethods = map[string]label{
	"lowest_price": {"Harga terendah", "Lowest price", ""},
	"quality_cost": {"Kualitas dan biaya", "Quality and cost", ""},
	"merit_points": {"Sistem nilai", "Merit points", ""},
}

// labelIn returns code's label in labels, or code itself for one added to
// a service after this page was written.
func labelIn(labels map[string]label) func(string) label {
	return func(code string) label {
		if l, ok := labels[code]; ok {
			return l
		}
		return label{code, code, "neutral"}
	}
}
