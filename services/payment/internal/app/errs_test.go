package app_test

import (
	"errors"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
)

func asApp(err error, target **apperr.Error) bool { return errors.As(err, target) }

var appErrSecurityUnknown = app.ErrSecurityUnknown

func errorsIs(err, target error) bool { return errors.Is(err, target) }
