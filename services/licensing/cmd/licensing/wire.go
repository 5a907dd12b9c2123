package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"gerbang/pkg/service"
	"gerbang/services/licensing/internal/adapters/blob"
	"gerbang/services/licensing/internal/adapters/certificate"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/app"
	licevents "gerbang/services/licensing/internal/ports/events"
	lichttp "gerbang/services/licensing/internal/ports/http"
)

// wire builds the licensing service on the platform runtime: repositories, use
// cases, HTTP routes, event consumers and schedulers. All routes are listed
// here, in one place.
func wire(ctx context.Context, rt *service.Runtime, getenv func(string) string) error {
	every, err := time.ParseDuration(envOr(getenv, "SCHEDULER_INTERVAL", "1m"))
	if err != nil || every <= 0 {
		return fmt.Errorf("SCHEDULER_INTERVAL: %q is not a positive duration", getenv("SCHEDULER_INTERVAL"))
	}
	// The key that signs licenses: generated on first start under DATA_DIR
	// (a KMS or a mounted secret in production).
	signing, err := rt.KeyRing(filepath.Join(rt.Config.DataDir, "license-signing-key.pem"))
	if err != nil {
		return fmt.Errorf("license signing key: %w", err)
	}
	// Documents: local files under DATA_DIR by default; BLOB_URL names
	// another store (s3://bucket?region=...&endpoint=...&use_path_style=true).
	var blobs app.Blobs
	if url := getenv("BLOB_URL"); url != "" {
		bucket, err := blob.OpenBucket(ctx, url)
		if err != nil {
			return fmt.Errorf("BLOB_URL: %w", err)
		}
		rt.Go("blob-bucket", func(ctx context.Context) error { <-ctx.Done(); return bucket.Close() })
		blobs = bucket
	} else {
		files, err := blob.NewFiles(filepath.Join(rt.Config.DataDir, "blobs"))
		if err != nil {
			return err
		}
		blobs = files
	}
	store := postgres.New(rt.DB)
	svc := app.New(store, rt.Clock, rt.Log, app.Options{
		SigningKeys: signing, VerifyURL: getenv("LICENSE_VERIFY_URL"), Blobs: blobs, RenderCertificate: certificate.Render,
	})

	// Routes: the API of api/licensing.yaml (see internal/ports/http).
	if err := lichttp.Mount(rt.App, svc, rt.Auth); err != nil {
		return fmt.Errorf("mount licensing API: %w", err)
	}

	// Events out: the platform runs the outbox relay (pkg/service).
	// Events in: payment.invoice.paid issues licenses whose fee was paid.
	rt.Go("consume-payment-invoice-paid", func(ctx context.Context) error {
		return licevents.ConsumeInvoicePaid(ctx, rt.JS, rt.DB, svc, rt.Log)
	})
	// Schedulers: deemed approval (fiktif positif) and license expiry.
	rt.Go("scheduler", func(ctx context.Context) error { return svc.RunScheduler(ctx, every) })
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
