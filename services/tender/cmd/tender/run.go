package main

import (
	"context"
	"io"

	"gerbang/pkg/service"
	"gerbang/services/tender/internal/ports/http/oapi"
	"gerbang/services/tender/migrations"
)

// run starts the tender service and blocks until ctx is done, then drains
// in-flight requests and returns. Tests start it the same way main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := service.LoadConfig("tender", 8082, getenv)
	if err != nil {
		return err
	}
	rt, err := service.Start(ctx, cfg, service.Spec{
		Migrations: migrations.FS,
		OpenAPI:    oapi.GetSpecJSON,
		Stream:     &service.Stream{Name: "TENDER", Subjects: []string{"tender.>"}},
		BodyLimits: bodyLimits(),
	}, stdout)
	if err != nil {
		return err
	}
	if err := wire(ctx, rt, getenv); err != nil {
		return err
	}
	return rt.Serve(ctx)
}
