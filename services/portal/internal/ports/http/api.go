// Package http is the portal's HTTP edge: the generated strict server of
// api/portal.yaml (tokens and keys), the login rate limits, the reverse proxy
// of /api/<service>/... and the server-rendered pages.
package http

import (
	"context"

	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/ports/http/oapi"
)

// API implements the portal's OpenAPI contract.
type API struct {
	Login *app.Login
	Keys  func() []auth.PublicKey // published at /.well-known/jwks.json
}

var _ oapi.StrictServerInterface = (*API)(nil)

// GetJWKS publishes the public keys that verify the portal's tokens.
func (a *API) GetJWKS(ctx context.Context, _ oapi.GetJWKSRequestObject) (oapi.GetJWKSResponseObject, error) {
	set := auth.JWKS(a.Keys()...)
	out := oapi.JWKSet{Keys: make([]oapi.JWK, 0, len(set.Keys))}
	for _, k := range set.Keys {
		out.Keys = append(out.Keys, oapi.JWK{
			Kty: oapi.JWKKty(k.Kty), Crv: oapi.JWKCrv(k.Crv), X: k.X, Kid: k.Kid,
			Alg: oapi.JWKAlg(k.Alg), Use: oapi.JWKUse(k.Use),
		})
	}
	return jwksResponse{oapi.GetJWKS200JSONResponse(out)}, nil
}

// CreateToken exchanges an email and password for an access token.
func (a *API) CreateToken(ctx context.Context, req oapi.CreateTokenRequestObject) (oapi.CreateTokenResponseObject, error) {
	tok, err := a.Login.Login(ctx, string(req.Body.Email), req.Body.Password)
	if err != nil {
		return nil, err
	}
	return tokenResponse{oapi.CreateToken200JSONResponse{
		AccessToken: tok.Value,
		TokenType:   oapi.TokenResponseTokenTypeBearer,
		ExpiresIn:   int32(tok.TTL.Seconds()),
	}}, nil
}
