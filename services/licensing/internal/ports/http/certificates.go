package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
	"gerbang/services/licensing/internal/ports/http/oapi"
)

func (s *Server) GetLicenseCertificate(ctx context.Context, r oapi.GetLicenseCertificateRequestObject) (oapi.GetLicenseCertificateResponseObject, error) {
	_, pdf, err := s.svc.Certificate(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetLicenseCertificate200ApplicationPdfResponse{Body: bytes.NewReader(pdf), ContentLength: int64(len(pdf))}, nil
}

func (s *Server) GetSignedLicense(ctx context.Context, r oapi.GetSignedLicenseRequestObject) (oapi.GetSignedLicenseResponseObject, error) {
	signed, err := s.svc.SignedLicense(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	out := oapi.GetSignedLicense200JSONResponse{Signature: signed.Signature}
	out.Header.Alg = oapi.SignedLicenseHeaderAlg(signed.Header.Alg)
	out.Header.Kid = signed.Header.Kid
	if err := json.Unmarshal(signed.Payload, &out.Payload); err != nil {
		return nil, fmt.Errorf("decode signed payload: %w", err)
	}
	return out, nil
}

func (s *Server) VerifySignedLicense(ctx context.Context, r oapi.VerifySignedLicenseRequestObject) (oapi.VerifySignedLicenseResponseObject, error) {
	payload, err := json.Marshal(r.Body.Payload)
	if err != nil {
		return nil, apperr.InvalidFields("the payload is not JSON", apperr.Field("body.payload", "must be the payload as it was signed"))
	}
	v, err := s.svc.VerifySigned(ctx, domain.SignedLicense{
		Header:    domain.SignatureHeader{Alg: string(r.Body.Header.Alg), Kid: r.Body.Header.Kid},
		Payload:   payload,
		Signature: r.Body.Signature,
	})
	if err != nil {
		return nil, err
	}
	out := oapi.VerifySignedLicense200JSONResponse{Genuine: v.Genuine, Reason: strPtr(v.Reason)}
	if l := v.License; l != nil {
		st := oapi.LicenseStatus(l.Status)
		out.Number, out.Status, out.ValidUntil = strPtr(l.Number), &st, utcPtr(l.ValidUntil)
	}
	return out, nil
}

func (s *Server) GetLicenseKeys(ctx context.Context, _ oapi.GetLicenseKeysRequestObject) (oapi.GetLicenseKeysResponseObject, error) {
	raw, err := json.Marshal(auth.JWKS(s.svc.LicenseKeys()...))
	if err != nil {
		return nil, err
	}
	var out oapi.GetLicenseKeys200JSONResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if out.Keys == nil {
		out.Keys = []struct {
			Alg *string `json:"alg,omitempty"`
			Crv string  `json:"crv"`
			Kid string  `json:"kid"`
			Kty string  `json:"kty"`
			Use *string `json:"use,omitempty"`
			X   string  `json:"x"`
		}{}
	}
	return out, nil
}
