package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// ContentTypeJSON is the data content type of every Gerbang event.
const ContentTypeJSON = "application/json"

// Event is a CloudEvents 1.0 event in structured JSON mode. Type is also the
// NATS subject it is published on (e.g. "payment.invoice.paid"); ID is a
// UUIDv7 and also the Nats-Msg-Id, so JetStream drops a republished copy.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	// The CloudEvents distributed-tracing extension: the W3C trace context
	// of the transaction that committed the event, so that its consumers'
	// spans join the producer's trace.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
}

// New builds an event with a fresh UUIDv7 id. source names the producer
// (e.g. "/payment"), typ is the subject it goes out on, subject names the
// thing the event is about (usually the aggregate's id), data is marshalled
// to JSON, and now is the producer's clock.
func New(source, typ, subject string, data any, now time.Time) (Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, fmt.Errorf("new event id: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("marshal data of %s: %w", typ, err)
	}
	ev := Event{
		SpecVersion:     SpecVersion,
		ID:              id.String(),
		Source:          source,
		Type:            typ,
		Subject:         subject,
		Time:            now.UTC(),
		DataContentType: ContentTypeJSON,
		Data:            raw,
	}
	if err := ev.validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// Decode unmarshals the event's data into v. A failure is Permanent: the
// same bytes will not decode on a redelivery, so a handler may return it as
// it is and the message goes to the dead letters at once.
func Decode(ev Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return Permanent(fmt.Errorf("decode data of %s %s: %w", ev.Type, ev.ID, err))
	}
	return nil
}

// Parse reads a structured-mode CloudEvent and checks the attributes the
// platform relies on.
func Parse(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("parse event: %w", err)
	}
	if err := ev.validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

func (ev Event) validate() error {
	switch {
	case ev.SpecVersion != SpecVersion:
		return fmt.Errorf("event specversion %q: want %q", ev.SpecVersion, SpecVersion)
	case !canonicalUUID(ev.ID):
		return fmt.Errorf("event id %q is not a UUID in canonical form", ev.ID)
	case ev.Source == "":
		return errors.New("event has no source")
	case !validSubject(ev.Type):
		return fmt.Errorf("event type %q is not a NATS subject without wildcards", ev.Type)
	case ev.DataContentType != ContentTypeJSON:
		return fmt.Errorf("event datacontenttype %q: want %q", ev.DataContentType, ContentTypeJSON)
	case len(ev.Data) == 0:
		return errors.New("event has no data")
	}
	return nil
}

func canonicalUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// validSubject accepts dot-separated tokens without wildcards or whitespace.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
	}
	return true
}

// permanentError marks a handler error that no retry can cure.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot cure (a malformed event,
// a rule the event breaks): the consumer dead-letters the message at once
// instead of redelivering it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
