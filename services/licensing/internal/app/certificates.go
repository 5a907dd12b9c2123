package app

import (
	"context"
	"crypto/ed25519"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
)

// Issuer is the name a signed license gives as its issuer.
const Issuer = "Gerbang licensing service"

// VerifyURLOf is the public verification address of a license number.
func (s *Service) VerifyURLOf(number string) string { return s.verifyURL + "/" + number }

// Certificate renders the PDF certificate of an application's license.
func (s *Service) Certificate(ctx context.Context, c caller.Caller, applicationID string) (LicenseRecord, []byte, error) {
	l, err := s.LicenseOfApplication(ctx, c, applicationID)
	if err != nil {
		return l, nil, err
	}
	if s.renderCertificate == nil {
		return l, nil, apperr.New(apperr.Unavailable, "certificates are not configured")
	}
	kid := ""
	if key, ok := s.signingKey(); ok {
		kid = key.ID
	}
	pdf, err := s.renderCertificate(domain.Certificate{License: l.License, KeyID: kid, VerifyURL: s.VerifyURLOf(l.Number), PrintedAt: s.clock.Now()})
	return l, pdf, err
}

// SignedLicense returns the signed JSON form of an application's license.
func (s *Service) SignedLicense(ctx context.Context, c caller.Caller, applicationID string) (domain.SignedLicense, error) {
	l, err := s.LicenseOfApplication(ctx, c, applicationID)
	if err != nil {
		return domain.SignedLicense{}, err
	}
	key, ok := s.signingKey()
	if !ok {
		return domain.SignedLicense{}, apperr.New(apperr.Unavailable, "license signing is not configured")
	}
	return domain.SignLicense(domain.DocumentOf(l.License, Issuer, s.VerifyURLOf(l.Number)), key.Private, key.ID)
}

// signingKey is the key that signs licenses now.
func (s *Service) signingKey() (auth.SigningKey, bool) {
	if s.signing == nil {
		return auth.SigningKey{}, false
	}
	key := s.signing.Current()
	return key, len(key.Private) == ed25519.PrivateKeySize
}

// LicenseKeys returns the public keys that verify signed licenses: the
// current one first, then those published beside it (staged, previous,
// retired).
func (s *Service) LicenseKeys() []auth.PublicKey {
	if _, ok := s.signingKey(); !ok {
		return nil
	}
	return s.signing.Published()
}

// Verification is the public answer about a signed license.
type Verification struct {
	Genuine bool
	Reason  string
	License *LicenseRecord // its live record, when genuine
}

// VerifySigned checks a signed license: its signature by one of the
// service's keys, and that the license it names exists with the same
// content; the answer carries the live status.
func (s *Service) VerifySigned(ctx context.Context, signed domain.SignedLicense) (Verification, error) {
	doc, err := domain.VerifySignedLicense(signed, func(kid string) ed25519.PublicKey {
		for _, k := range s.LicenseKeys() {
			if k.ID == kid {
				return k.Key
			}
		}
		return nil
	})
	if err != nil {
		return Verification{Reason: err.Error()}, nil
	}
	l, err := s.store.LicenseByNumber(ctx, doc.Number)
	if apperr.Is(err, apperr.NotFound) {
		return Verification{Reason: "no license with this number was issued"}, nil
	}
	if err != nil {
		return Verification{}, err
	}
	if l.ID != doc.LicenseID || string(l.NIB) != doc.NIB || l.KBLI != doc.KBLI {
		return Verification{Reason: "the signed license does not match the license of this number"}, nil
	}
	return Verification{Genuine: true, License: &l}, nil
}
