// Package e2e runs the four Gerbang services as separate processes, built
// from their commands, against a real PostgreSQL and a NATS JetStream server,
// and drives them over HTTP as their users would: the end-to-end tests of
// DESIGN.md ("Testing").
package e2e
