package service

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/auth"
)

// startAudit loads (or, in development, creates) the key that signs the audit
// chain's checkpoints, runs the sealer as a worker and serves the auditors'
// verification endpoint.
func (rt *Runtime) startAudit(keyFile string) error {
	if keyFile == "" {
		keyFile = filepath.Join(rt.Config.DataDir, "keys", "audit.key")
	}
	key, err := auth.LoadOrCreateSigningKey(keyFile)
	if err != nil {
		return fmt.Errorf("audit signing key: %w", err)
	}
	signer := audit.Signer{KeyID: key.ID, Key: key.Private}
	sealer, err := audit.NewSealer(rt.DB, signer, rt.Log, audit.SealerOptions{})
	if err != nil {
		return err
	}
	rt.Go("audit-sealer", sealer.Run)
	trusted := map[string]ed25519.PublicKey{key.ID: key.Public().Key}
	rt.App.Get("/v1/audit/verify", auth.Authenticate(rt.Auth), auth.RequireRoles(auth.RoleAuditor), func(c *fiber.Ctx) error {
		report, err := audit.Verify(c.UserContext(), rt.DB, trusted)
		if err != nil {
			return &apperr.Error{Code: apperr.Unavailable, Message: "The audit trail could not be read just now; try again.", Err: err}
		}
		return c.JSON(report)
	})
	return nil
}
