package app_test

import (
	"bytes"
	"errors"

	"gerbang/pkg/apperr"
)

func asApp(err error, target **apperr.Error) bool { return errors.As(err, target) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
