// Package domain holds the licensing rules: NPWP and NIB, business scale, the
// risk-based license catalog with versioned, effective-dated rules, the
// application state machine with the role allowed for each transition, and
// the SLA calendar of working days in Asia/Jakarta. It imports no SQL, HTTP
// or NATS.
package domain
