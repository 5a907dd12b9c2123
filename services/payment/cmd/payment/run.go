package main

import (
	"context"
	"io"

	"gerbang/pkg/httpx"
	"gerbang/pkg/service"
	"gerbang/services/payment/internal/ports/http/oapi"
	"gerbang/services/payment/migrations"
)

// run starts the payment service and blocks until ctx is done, then drains
// in-flight requests and returns. Tests start it the same way main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := service.LoadConfig("payment", 8083, getenv)
	if err != nil {
		return err
	}
	rt, err := service.Start(ctx, cfg, service.Spec{
		Migrations: migrations.FS,
		OpenAPI:    oapi.GetSpecJSON,
		Stream:     &service.Stream{Name: "PAYMENT", Subjects: []string{"payment.>"}},
		BodyLimits: []httpx.RouteLimit{
			{Method: "POST", Pattern: "/v1/reconciliations", Bytes: 4 << 20}, // bank statements
			{Method: "POST", Pattern: "/v1/gateway/callbacks", Bytes: 16 << 10},
		},
	}, stdout)
	if err != nil {
		return err
	}
	if err := wire(ctx, rt, getenv); err != nil {
		return err
	}
	return rt.Serve(ctx)
}
