// Package domain holds the payment service's rules: billing codes, the
// invoice state machine, payments confirmed by a signed gateway callback,
// bid securities, and the double-entry ledger. It imports no SQL, HTTP or
// NATS; the adapters persist what it decides.
package domain
