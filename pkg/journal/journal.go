// Package journal is the one way a service writes what a state change
// leaves besides the state: its outbox events (pkg/events) and its audit
// records (pkg/audit), in the change's own transaction, so that the state,
// its events and its audit trail commit together or not at all. No service
// writes the outbox or audit_record tables in its own SQL.
//
// Use, in an adapter's transaction (tx is its *sqlx.Tx):
//
//	j := journal.New("/licensing")                 // once, with the service's CloudEvents source
//	err := j.Publish(ctx, tx, journal.Event{Type: domain.SubjectApplicationSubmitted,
//		Subject: "application/" + id, Aggregate: "application/" + id, Data: payload, At: now})
//	err = j.Audit(ctx, tx, c, audit.Entry{Action: "application.submit", EntityType: "application", EntityID: id, ...})
//
// A fast path that folds its writes into one statement encodes its event
// with Encode and inserts the same columns Enqueue does.
package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/pkg/events"
)

// Journal writes the events and audit records of one service.
type Journal struct {
	source string
}

// New returns the journal of the service whose CloudEvents source is
// source (e.g. "/licensing").
func New(source string) Journal { return Journal{source: source} }

// Source is the service's CloudEvents source.
func (j Journal) Source() string { return j.source }

// Event is an event a change publishes.
type Event struct {
	Type      string // the subject constant, e.g. "licensing.application.submitted"
	Subject   string // the CloudEvents subject: what the event is about ("application/<id>")
	Aggregate string // events of one aggregate go out in commit order
	Data      any    // the typed payload, checked against api/events/ by the schema tests
	At        time.Time
}

// Publish writes e to the outbox in tx.
func (j Journal) Publish(ctx context.Context, tx sqlx.ExtContext, e Event) error {
	ev, err := j.Envelope(e)
	if err != nil {
		return err
	}
	return events.Enqueue(ctx, tx, ev, e.Aggregate)
}

// Envelope returns e as the CloudEvent Publish would write.
func (j Journal) Envelope(e Event) (events.Event, error) {
	ev, err := events.New(j.source, e.Type, e.Subject, e.Data, e.At)
	if err != nil {
		return events.Event{}, fmt.Errorf("event %s of %s: %w", e.Type, e.Subject, err)
	}
	return ev, nil
}

// Audit writes the audit record of a change c made, in tx: the entry's
// actor, roles and request id are c's unless the entry names them (a
// system job names itself, "system:<rule>").
func (j Journal) Audit(ctx context.Context, tx sqlx.ExtContext, c caller.Caller, e audit.Entry) error {
	if e.Actor == "" {
		e.Actor, e.ActorRoles = c.Subject, c.Roles
	}
	if e.RequestID == "" {
		e.RequestID = c.RequestID
	}
	return audit.Record(ctx, tx, e)
}
