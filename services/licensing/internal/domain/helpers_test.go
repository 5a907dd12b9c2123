package domain

import "errors"

func apperrAs[T error](err error, target *T) bool { return errors.As(err, target) }
