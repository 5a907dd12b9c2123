package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/idempotency"
	"gerbang/pkg/service"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/app"
	portevents "gerbang/services/payment/internal/ports/events"
	porthttp "gerbang/services/payment/internal/ports/http"
)

// devGatewaySecret signs sandbox callbacks when GATEWAY_SECRET is unset.
// Production sets its own, shared with the real gateway.
const devGatewaySecret = "gerbang-dev-gateway-secret"

// wire builds the payment service on the platform runtime: repositories, use
// cases, HTTP routes, event consumers and schedulers. All routes are listed
// here, in one place.
func wire(ctx context.Context, rt *service.Runtime, getenv func(string) string) error {
	sandbox, err := service.Bool(getenv, "SANDBOX_GATEWAY", false)
	if err != nil {
		return err
	}
	expiryEvery, err := service.Int(getenv, "SCHEDULER_INTERVAL_MS", 5000)
	if err != nil {
		return err
	}
	creations, err := service.Int(getenv, "CREATIONS_PER_MINUTE", 600)
	if err != nil {
		return err
	}
	secret := getenv("GATEWAY_SECRET")
	if secret == "" {
		secret = devGatewaySecret
		rt.Log.Warn("GATEWAY_SECRET is not set: using the development secret; set it before taking real payments")
	}
	store := postgres.New(rt.DB)
	svc := app.New(app.Config{Store: store, Clock: rt.Clock, GatewaySecret: []byte(secret), Log: rt.Log})

	if err := porthttp.Routes(rt.App, svc, porthttp.Options{DB: rt.DB, Verifier: rt.Auth, Sandbox: sandbox, CreationsPerMinute: creations,
		Idem: idempotency.Options{Clock: rt.Clock, Log: rt.Log}}); err != nil {
		return err
	}

	h := portevents.Handlers{Svc: svc, Tx: func(tx *sqlx.Tx) app.Tx { return postgres.Wrap(tx) }}
	rt.Go("event-consumers", func(ctx context.Context) error { return portevents.Run(ctx, rt.JS, rt.DB, rt.Log, h) })
	rt.Go("invoice-expiry", func(ctx context.Context) error {
		return every(ctx, time.Duration(expiryEvery)*time.Millisecond, rt.Log, "invoice expiry", func(ctx context.Context) (int, error) {
			return svc.ExpireDueInvoices(ctx, 100)
		})
	})
	if sandbox {
		// The sandbox gateway pays approved refunds out at once; a real
		// gateway's payout API would take its place.
		rt.Go("refund-payout", func(ctx context.Context) error {
			return every(ctx, time.Duration(expiryEvery)*time.Millisecond, rt.Log, "refund payout", func(ctx context.Context) (int, error) {
				return svc.PayOutRefunds(ctx, 100)
			})
		})
	}
	return nil
}

// every runs a batch job each interval until ctx ends, again at once while
// batches come back full.
func every(ctx context.Context, interval time.Duration, log *slog.Logger, name string, batch func(context.Context) (int, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for {
			n, err := batch(ctx)
			if err != nil && ctx.Err() == nil {
				log.Warn(name+" pass failed", "err", err)
			}
			if err != nil || n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
