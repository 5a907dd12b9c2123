package main

import (
	"context"
	"io"

	"gerbang/pkg/httpx"
	"gerbang/pkg/service"
	"gerbang/services/licensing/internal/ports/http/oapi"
	"gerbang/services/licensing/migrations"
)

// run starts the licensing service and blocks until ctx is done, then drains
// in-flight requests and returns. Tests start it the same way main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := service.LoadConfig("licensing", 8081, getenv)
	if err != nil {
		return err
	}
	rt, err := service.Start(ctx, cfg, service.Spec{
		Migrations: migrations.FS,
		OpenAPI:    oapi.GetSpecJSON,
		Stream:     &service.Stream{Name: "LICENSING", Subjects: []string{"licensing.>"}},
		// Uploads: the largest requirement (20 MiB) and the multipart framing.
		BodyLimits: []httpx.RouteLimit{{Method: "POST", Pattern: "/v1/applications/:id/documents", Bytes: 21<<20 + 64<<10}},
		// The PAYMENT stream is payment's; ensuring it here (same
		// configuration) lets licensing's consumer start before payment does.
		Consumes: []service.Stream{{Name: "PAYMENT", Subjects: []string{"payment.>"}}},
	}, stdout)
	if err != nil {
		return err
	}
	if err := wire(ctx, rt, getenv); err != nil {
		return err
	}
	return rt.Serve(ctx)
}
