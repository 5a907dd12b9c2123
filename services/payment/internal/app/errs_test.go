package app_test

import (
	"errors"

	"gerbang/pkg/apperr"
)

func asApp(err error, target **apperr.Error) bool { return errors.As(err, target) }
