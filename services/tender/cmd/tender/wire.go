package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gerbang/pkg/auth"
	"gerbang/pkg/events"
	"gerbang/pkg/httpx"
	"gerbang/pkg/service"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
	tenderevents "gerbang/services/tender/internal/ports/events"
	tenderhttp "gerbang/services/tender/internal/ports/http"
)

// wire builds the tender service on the platform runtime: repositories, use
// cases, HTTP routes, event consumers and schedulers. All routes are listed
// here, in one place.
//
// Configuration beyond the platform's:
//   - TENDER_KEK: the key-encryption key wrapping every tender's private key,
//     base64 of 32 bytes (a KMS in production). Without it a development key
//     is generated into DATA_DIR/keys/tender-kek.
//   - TENDER_RECEIPT_KEY_FILE: the Ed25519 key (PEM) signing bid receipts;
//     default DATA_DIR/keys/receipt.key, generated on first start.
//   - TENDER_SCHEDULER_INTERVAL: how often time-driven moves are made (1s).
//   - TENDER_BIDS_PER_MINUTE: bid submissions and replacements per vendor
//     and minute, per instance (60).
//   - OCDS_PREFIX: the registered ocid prefix ("ocds-" and 6 characters;
//     default ocds-gbg001); OCDS_BASE_URL: the public URL of this API in
//     the packages (default http://HTTP_ADDR).
func wire(ctx context.Context, rt *service.Runtime, getenv func(string) string) error {
	kek, err := loadKEK(getenv("TENDER_KEK"), filepath.Join(rt.Config.DataDir, "keys", "tender-kek"))
	if err != nil {
		return err
	}
	receiptFile := getenv("TENDER_RECEIPT_KEY_FILE")
	if receiptFile == "" {
		receiptFile = filepath.Join(rt.Config.DataDir, "keys", "receipt.key")
	}
	receiptKey, err := auth.LoadOrCreateSigningKey(receiptFile)
	if err != nil {
		return fmt.Errorf("receipt signing key: %w", err)
	}
	every := time.Second
	if v := getenv("TENDER_SCHEDULER_INTERVAL"); v != "" {
		if every, err = time.ParseDuration(v); err != nil || every <= 0 {
			return fmt.Errorf("TENDER_SCHEDULER_INTERVAL: %q is not a positive duration", v)
		}
	}

	bidsPerMinute, err := service.Int(getenv, "TENDER_BIDS_PER_MINUTE", tenderhttp.DefaultBidsPerMinute)
	if err != nil {
		return err
	}
	store := postgres.New(rt.DB)
	svc := app.New(store, kek, receiptKey.Private, receiptKey.ID, rt.Clock)

	publisher := ocds.Publisher{Name: "Gerbang (LPSE)", Prefix: "ocds-gbg001", BaseURL: "http://" + rt.Config.HTTPAddr,
		License: "https://creativecommons.org/licenses/by/4.0/"}
	if v := getenv("OCDS_PREFIX"); v != "" {
		if !strings.HasPrefix(v, "ocds-") || len(v) != len("ocds-")+6 {
			return fmt.Errorf("OCDS_PREFIX: %q is not \"ocds-\" and 6 characters", v)
		}
		publisher.Prefix = v
	}
	if v := getenv("OCDS_BASE_URL"); v != "" {
		publisher.BaseURL = strings.TrimRight(v, "/")
	}
	if err := tenderhttp.Routes(rt.App, svc, tenderhttp.Options{
		Verifier: rt.Auth, OCDS: publisher, Clock: rt.Clock, BidsPerMinute: bidsPerMinute,
	}); err != nil {
		return err
	}

	consumers := tenderevents.Consumers{Service: svc, Recorder: postgres.InTx}
	rt.Go("scheduler", func(ctx context.Context) error { return svc.RunScheduler(ctx, every, rt.Log) })
	rt.Go("consumer-licensing", func(ctx context.Context) error {
		return events.Consume(ctx, rt.JS, rt.DB, events.ConsumerConfig{
			Stream: "LICENSING", Durable: tenderevents.LicensingConsumer, Log: rt.Log,
			FilterSubjects: []string{tenderevents.SubjectLicenses},
		}, consumers.ApplyLicenseEvent)
	})
	rt.Go("consumer-payment", func(ctx context.Context) error {
		return events.Consume(ctx, rt.JS, rt.DB, events.ConsumerConfig{
			Stream: "PAYMENT", Durable: tenderevents.PaymentConsumer, Log: rt.Log, DoubleAck: true,
			FilterSubjects: tenderevents.PaymentSubjects(),
		}, consumers.ApplyPaymentEvent)
	})
	return nil
}

// loadKEK reads the key-encryption key from configuration, or the
// development key file (generated when absent).
func loadKEK(configured, devFile string) (domain.KEK, error) {
	if configured != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(configured))
		if err != nil {
			return domain.KEK{}, fmt.Errorf("TENDER_KEK: not base64: %w", err)
		}
		return domain.NewKEK(raw)
	}
	raw, err := os.ReadFile(devFile)
	if errors.Is(err, fs.ErrNotExist) {
		raw = make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return domain.KEK{}, err
		}
		if err := os.MkdirAll(filepath.Dir(devFile), 0o700); err != nil {
			return domain.KEK{}, fmt.Errorf("development KEK: %w", err)
		}
		f, err := os.OpenFile(devFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadKEK("", devFile) // another instance wrote it first
		}
		if err != nil {
			return domain.KEK{}, fmt.Errorf("development KEK: %w", err)
		}
		_, werr := f.Write(raw)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return domain.KEK{}, fmt.Errorf("development KEK: %w", werr)
		}
		return domain.NewKEK(raw)
	}
	if err != nil {
		return domain.KEK{}, fmt.Errorf("development KEK: %w", err)
	}
	return domain.NewKEK(raw)
}

// bodyLimits are the per-route body limits (bids carry their documents).
func bodyLimits() []httpx.RouteLimit { return tenderhttp.BodyLimits() }
