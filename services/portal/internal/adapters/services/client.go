// Package services reads the other services' public REST APIs for the
// portal's public pages: licensing's license verification and tender's
// announcements and opening records (api/licensing.yaml, api/tender.yaml).
package services

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/httpx"
	"gerbang/pkg/tracing"
	"gerbang/services/portal/internal/app"
)

// maxBody bounds what the portal reads of an answer: a page of 100 tenders
// with long descriptions is well under it.
const maxBody = 8 << 20

// client GETs JSON from one service.
type client struct {
	name    string // licensing, tender: named in errors
	nameID  string // the service in Bahasa Indonesia: perizinan, tender
	base    string
	http    *http.Client
	timeout time.Duration
}

func newClient(name, nameID, baseURL string, timeout time.Duration) client {
	return client{
		name: name, nameID: nameID, base: strings.TrimRight(baseURL, "/"), timeout: timeout,
		http: &http.Client{Transport: tracing.Transport(&http.Transport{
			Proxy:               nil, // the services are reached directly, never through HTTP_PROXY
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     30 * time.Second,
		})},
	}
}

// get fetches path (already escaped) into out. A 404 is an apperr NotFound
// with notFound as its message, a 400 an apperr Invalid; no answer, an answer over 5xx or one that
// is not the JSON expected is an apperr Unavailable.
func (c client) get(ctx context.Context, path string, query url.Values, notFound string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	req.Header.Set("Accept", "application/json")
	if id := httpx.RequestIDFrom(ctx); id != "" {
		req.Header.Set("X-Request-Id", id) // so the two logs correlate
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unavailable(fmt.Errorf("GET %s: %w", path, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.unavailable(fmt.Errorf("read GET %s: %w", path, err))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return &apperr.Error{Code: apperr.NotFound, Message: notFound}
	case resp.StatusCode == http.StatusBadRequest: // a query the portal passed on (a cursor, a search)
		e := &apperr.Error{Code: apperr.Invalid, Message: "Permintaan tidak valid / Invalid request", Err: fmt.Errorf("GET %s: %.200s", path, body)}
		var p struct {
			Errors []apperr.FieldError `json:"errors"`
		}
		if json.Unmarshal(body, &p) == nil {
			e.Fields = p.Errors
		}
		return e
	case resp.StatusCode != http.StatusOK:
		return c.unavailable(fmt.Errorf("GET %s: status %d: %.200s", path, resp.StatusCode, body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return c.unavailable(fmt.Errorf("GET %s: decode: %w", path, err))
	}
	return nil
}

func (c client) unavailable(err error) error {
	return &apperr.Error{Code: apperr.Unavailable, Message: c.unavailableMessage(), Err: &app.Outage{Service: c.name, Err: err}}
}

// unavailableMessage says the service cannot answer now: it is down,
// failing, or too slow.
func (c client) unavailableMessage() string {
	return "Layanan " + c.nameID + " sedang tidak tersedia / The " + c.name + " service is unavailable"
}
