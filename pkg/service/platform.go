package service

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/auth"
	"gerbang/pkg/events"
)

// startAudit loads (or, in development, creates) the key that signs the audit
// chain's checkpoints, runs the sealer as a worker and serves the auditors'
// verification endpoint.
func (rt *Runtime) startAudit(keyFile string) error {
	if keyFile == "" {
		keyFile = filepath.Join(rt.Config.DataDir, "keys", "audit.key")
	}
	ring, err := rt.KeyRing(keyFile)
	if err != nil {
		return fmt.Errorf("audit signing key: %w", err)
	}
	signer := audit.Signer{Current: func() (string, ed25519.PrivateKey) { k := ring.Current(); return k.ID, k.Private }}
	sealer, err := audit.NewSealer(rt.DB, signer, rt.Log, audit.SealerOptions{CheckpointInterval: rt.Config.AuditCheckpoint})
	if err != nil {
		return err
	}
	rt.Go("audit-sealer", sealer.Run)
	rt.App.Get("/v1/audit/verify", auth.Authenticate(rt.Auth), auth.RequireRoles(auth.RoleAuditor), func(c *fiber.Ctx) error {
		// Seal what can be sealed first, so that the report counts as
		// unsealed only what waits for a reason (the report says which).
		if _, err := sealer.SealOnce(c.UserContext()); err != nil {
			rt.Log.WarnContext(c.UserContext(), "audit sealing before verification failed", "err", err)
		}
		trusted := map[string]ed25519.PublicKey{}
		for _, k := range ring.Published() {
			trusted[k.ID] = k.Key
		}
		report, err := audit.Verify(c.UserContext(), rt.DB, trusted)
		if err != nil {
			return &apperr.Error{Code: apperr.Unavailable, Message: "The audit trail could not be read just now; try again.", Err: err}
		}
		return c.JSON(report)
	})
	return nil
}

// KeyRing opens the key ring of the key file path (creating the key on
// first start, the development setup) and reads it again every
// KEY_RELOAD_INTERVAL, so that a key staged, promoted or retired with
// gerbang/pkg/cmd/keys reaches every replica without a restart.
func (rt *Runtime) KeyRing(path string) (*auth.KeyRing, error) {
	ring, err := auth.OpenKeyRing(path)
	if err != nil {
		return nil, err
	}
	rt.Go("key-ring "+filepath.Base(path), func(ctx context.Context) error { return ring.Watch(ctx, rt.Config.KeyReload, rt.Log) })
	return ring, nil
}

// startRelay publishes the service's outbox to JetStream.
func (rt *Runtime) startRelay() {
	relay := events.NewRelay(rt.DB, rt.JS, rt.Log, events.RelayOptions{DatabaseURL: rt.Config.DatabaseURL})
	rt.Go("outbox-relay", relay.Run)
}

// startPruner deletes the inbox and dead-letter rows past their retention.
func (rt *Runtime) startPruner() {
	rt.Go("inbox-pruner", func(ctx context.Context) error {
		return events.RunPruner(ctx, rt.DB, rt.Log, events.PruneOptions{Inbox: rt.Config.InboxRetention, DeadLetters: rt.Config.DeadLetterRetention})
	})
}

// deadLetter is one dead letter as api/<service>.yaml documents it.
type deadLetter struct {
	ID         int64      `json:"id"`
	Consumer   string     `json:"consumer"`
	EventID    string     `json:"event_id"`
	Subject    string     `json:"subject"`
	Error      string     `json:"error"`
	Deliveries int        `json:"deliveries"`
	CreatedAt  time.Time  `json:"created_at"`
	ReplayedAt *time.Time `json:"replayed_at"`
}

// serveDeadLetters lets auditors and administrators see the events a
// consumer gave up on (oldest first, keyset pages by id).
func (rt *Runtime) serveDeadLetters() {
	rt.App.Get("/v1/ops/dead-letters", auth.Authenticate(rt.Auth), auth.RequireRoles(auth.RoleAuditor, auth.RoleAdmin), func(c *fiber.Ctx) error {
		limit := c.QueryInt("limit", 50)
		if limit < 1 || limit > 100 {
			return apperr.InvalidFields("Fix the query.", apperr.Field("query.limit", "must be between 1 and 100"))
		}
		var after int64
		if cur := c.Query("cursor"); cur != "" {
			n, err := strconv.ParseInt(cur, 10, 64)
			if err != nil || n < 0 {
				return apperr.InvalidFields("Fix the query.", apperr.Field("query.cursor", "is not a cursor this endpoint gave out"))
			}
			after = n
		}
		state := c.Query("state")
		if state != "" && state != "pending" && state != "replayed" {
			return apperr.InvalidFields("Fix the query.", apperr.Field("query.state", "must be one of: pending, replayed"))
		}
		all, err := events.DeadLetters(c.UserContext(), rt.DB, "")
		if err != nil {
			return err
		}
		items := []deadLetter{}
		var next *string
		for _, d := range all {
			if d.ID <= after || (state == "pending" && d.ReplayedAt != nil) || (state == "replayed" && d.ReplayedAt == nil) {
				continue
			}
			if len(items) == limit {
				cur := strconv.FormatInt(items[len(items)-1].ID, 10)
				next = &cur
				break
			}
			items = append(items, deadLetter{ID: d.ID, Consumer: d.Consumer, EventID: d.EventID, Subject: d.Subject, Error: d.Error, Deliveries: d.Deliveries, CreatedAt: d.FailedAt, ReplayedAt: d.ReplayedAt})
		}
		return c.JSON(fiber.Map{"items": items, "next_cursor": next})
	})
}
