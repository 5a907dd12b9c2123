package services

import (
	"context"
	"net/url"
	"time"

	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// Licensing reads licensing's public license verification.
type Licensing struct{ c client }

var _ app.LicenseRegistry = (*Licensing)(nil)

// NewLicensing returns a reader of the licensing service at baseURL whose
// calls last at most timeout.
func NewLicensing(baseURL string, timeout time.Duration) *Licensing {
	return &Licensing{c: newClient("licensing", "perizinan", baseURL, timeout)}
}

// VerifyLicense is GET /v1/public/licenses/{number}.
func (l *Licensing) VerifyLicense(ctx context.Context, number string) (domain.LicenseVerification, error) {
	var v struct {
		Genuine     bool       `json:"genuine"`
		Number      string     `json:"number"`
		HolderName  string     `json:"holder_name"`
		NIB         string     `json:"nib"`
		KBLI        string     `json:"kbli"`
		LicenseName string     `json:"license_name"`
		Status      string     `json:"status"`
		ValidFrom   time.Time  `json:"valid_from"`
		ValidUntil  *time.Time `json:"valid_until"`
	}
	if err := l.c.get(ctx, "/v1/public/licenses/"+url.PathEscape(number), nil, app.LicenseNotFound, &v); err != nil {
		return domain.LicenseVerification{}, err
	}
	return domain.LicenseVerification{
		Genuine: v.Genuine, Number: v.Number, HolderName: v.HolderName, NIB: v.NIB, KBLI: v.KBLI,
		LicenseName: v.LicenseName, Status: domain.LicenseStatus(v.Status), ValidFrom: v.ValidFrom, ValidUntil: v.ValidUntil,
	}, nil
}
