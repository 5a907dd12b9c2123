package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/auth"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
)

// TestServiceStartsAndPublishesTenderEvents starts the real run function:
// a tender created and published over HTTP is readable publicly and its
// tender.tender.published event reaches the TENDER stream.
func TestServiceStartsAndPublishesTenderEvents(t *testing.T) {
	ns := natstest.Start(t)
	tokens := svctest.NewTokens(t)
	env := tokens.Env()
	env["DATABASE_URL"] = pgtest.EmptyURL(t)
	env["NATS_URL"] = ns.URL
	svc := svctest.Start(t, run, env)

	officer := tokens.Mint(t, auth.Principal{Subject: "pokja-1", Roles: []string{auth.RoleProcurementOfficer}})
	now := time.Now().UTC()
	body := map[string]any{
		"buyer_agency": "Dinas PUPR", "title": "Rehabilitasi jembatan", "category": "works",
		"hps": map[string]any{"amount": 5_000_000_000, "currency": "IDR"}, "kbli": "42101", "procurement_method": "tender",
		"evaluation":       map[string]any{"method": "merit_points", "price_weight": 30, "criteria": []map[string]any{{"key": "metode", "weight": 70}}},
		"bid_period_start": now.Add(24 * time.Hour).Format(time.RFC3339), "bid_deadline": now.Add(240 * time.Hour).Format(time.RFC3339),
	}
	created := call(t, "POST", svc.URL+"/v1/tenders", officer, body, 201)
	id := created["id"].(string)
	call(t, "POST", svc.URL+"/v1/tenders/"+id+"/publish", officer, nil, 200)
	public := call(t, "GET", svc.URL+"/v1/public/tenders/"+id, "", nil, 200)
	if public["state"] != "announced" || public["hps"] != nil {
		t.Fatalf("public tender %v", public)
	}

	js, nc := ns.JetStream()
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "TENDER", jetstream.ConsumerConfig{FilterSubject: "tender.tender.published"})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(15 * time.Second))
	if err != nil {
		t.Fatalf("no tender.tender.published on TENDER: %v", err)
	}
	ev, err := events.Parse(msg.Data())
	if err != nil || ev.Subject != id {
		t.Fatalf("event %+v %v", ev, err)
	}
}

func call(t testing.TB, method, url, token string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}
