package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewBuildsACloudEventWhoseTypeIsTheSubject(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.FixedZone("WIB", 7*3600))
	ev, err := New("/payment", "payment.invoice.paid", "inv-1", map[string]int{"amount": 150000}, now)
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.Parse(ev.ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("id %q: want a UUIDv7 (err %v)", ev.ID, err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"specversion":     "1.0",
		"id":              ev.ID,
		"source":          "/payment",
		"type":            "payment.invoice.paid",
		"subject":         "inv-1",
		"time":            "2026-11-25T02:30:00Z",
		"datacontenttype": "application/json",
		"data":            map[string]any{"amount": float64(150000)},
	}
	if len(wire) != len(want) {
		t.Fatalf("envelope %s: want exactly the attributes %v", b, want)
	}
	for k, v := range want {
		if got, _ := json.Marshal(wire[k]); string(got) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatalf("parse own envelope: %v", err)
	}
	if back.ID != ev.ID || !back.Time.Equal(now) || back.Type != ev.Type {
		t.Errorf("round trip: got %+v, want %+v", back, ev)
	}
}

func TestNewGivesEachEventItsOwnTimeOrderedID(t *testing.T) {
	a, _ := New("/t", "test.a", "", 1, time.Now())
	b, _ := New("/t", "test.a", "", 1, time.Now())
	if a.ID == b.ID || a.ID > b.ID {
		t.Errorf("ids %s then %s: want distinct and increasing", a.ID, b.ID)
	}
}

func TestNewRefusesAnEventThatCannotBeRouted(t *testing.T) {
	cases := []struct {
		name, source, typ string
		data              any
	}{
		{"no source", "", "test.a", 1},
		{"no type", "/t", "", 1},
		{"wildcard type", "/t", "test.*", 1},
		{"tail wildcard type", "/t", "test.>", 1},
		{"empty token", "/t", "test..a", 1},
		{"space in type", "/t", "test.a b", 1},
		{"data that is not JSON", "/t", "test.a", func() {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.source, c.typ, "", c.data, time.Now()); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestParseRefusesWhatIsNotAPlatformEvent(t *testing.T) {
	good, _ := New("/t", "test.a", "s", 1, time.Now())
	mutate := func(f func(*Event)) []byte {
		ev := good
		f(&ev)
		b, _ := json.Marshal(ev)
		return b
	}
	cases := []struct {
		name string
		raw  []byte
	}{
		{"not JSON", []byte("{oops")},
		{"other specversion", mutate(func(e *Event) { e.SpecVersion = "0.3" })},
		{"id not a UUID", mutate(func(e *Event) { e.ID = "42" })},
		{"id not in canonical form", mutate(func(e *Event) { e.ID = "urn:uuid:" + good.ID })},
		{"no data", []byte(`{"specversion":"1.0","id":"` + good.ID + `","source":"/t","type":"test.a","time":"2026-11-25T00:00:00Z","datacontenttype":"application/json"}`)},
		{"other content type", mutate(func(e *Event) { e.DataContentType = "text/xml" })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.raw); err == nil {
				t.Errorf("Parse accepted %s", c.raw)
			}
		})
	}
}

func TestDecodeFailureIsPermanent(t *testing.T) {
	ev, _ := New("/t", "test.a", "", map[string]string{"n": "not a number"}, time.Now())
	var v struct{ N int }
	err := Decode(ev, &v)
	if err == nil || !IsPermanent(err) {
		t.Fatalf("Decode = %v: want a permanent error", err)
	}
	if !strings.Contains(err.Error(), ev.ID) {
		t.Errorf("error %q does not name the event", err)
	}
}

func TestPermanentIsSeenThroughWrapping(t *testing.T) {
	base := errors.New("unknown license type")
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"plain", base, false},
		{"marked", Permanent(base), true},
		{"marked and wrapped", wrap(Permanent(base)), true},
		{"nil", Permanent(nil), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := IsPermanent(c.err); got != c.want {
				t.Errorf("IsPermanent = %v, want %v", got, c.want)
			}
			if c.err != nil && !errors.Is(c.err, base) {
				t.Error("the cause is lost")
			}
		})
	}
}

func wrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "context: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
