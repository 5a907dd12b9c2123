package app

import "fmt"

// Outage is a service that could not answer: down, failing, or slower than
// the portal waits. The adapters wrap it in an apperr Unavailable, so that
// the API answers 503 and a page can say which service it was.
type Outage struct {
	Service string // licensing, tender, payment
	Err     error
}

func (o *Outage) Error() string { return fmt.Sprintf("%s unavailable: %v", o.Service, o.Err) }

func (o *Outage) Unwrap() error { return o.Err }
