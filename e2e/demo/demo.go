// Package demo loads the demo data of `make run` through the services' APIs
// (behind the portal's /api proxy), as the demo users would do it by hand:
// never by SQL, so that what a visitor sees is what the services made.
//
// It leaves every page with something real on it:
//
//   - licensing: CV Maju Jaya (usaha@) holds a license, has an application
//     waiting in the officer's queue, one sent back for revision, one
//     approved with its fee to pay, and a draft; PT Karya Nusantara
//     (vendor2@) has one in review, one rejected and two licenses;
//   - procurement: a tender open for bids with both vendors' bids and a
//     question answered and one waiting, a tender in its objection period
//     (opened, evaluated, announced, an objection filed), a draft and a
//     cancelled one;
//   - payment: fees and bid securities paid, a fee and a payment in
//     manual review waiting, a statement reconciled with a line that
//     matched nothing, and a second statement written to a file for the
//     finance officer to upload.
//
// Loading again changes nothing: every step first reads where things
// stand (creation uses idempotency keys and titles), and goes on from
// there.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Password is every demo account's.
const Password = "demo12345"

// The demo accounts (services/portal/internal/app/demo.go) and the
// businesses they act for.
const (
	Usaha      = "usaha@demo.gerbang.id"
	Vendor2    = "vendor2@demo.gerbang.id"
	Officer    = "petugas.izin@demo.gerbang.id"
	Pokja      = "pokja@demo.gerbang.id"
	Pokja2     = "pokja2@demo.gerbang.id"
	Finance    = "keuangan@demo.gerbang.id"
	UsahaOrg   = "01930000-0000-7000-8000-00000000b001"
	Vendor2Org = "01930000-0000-7000-8000-00000000b002"
	pokjaID    = "01930000-0000-7000-8000-00000000a004"
	pokja2ID   = "01930000-0000-7000-8000-00000000a005"
)

// Loader loads the demo data into the platform whose portal is at Base.
type Loader struct {
	Base string       // the portal, e.g. http://127.0.0.1:8080
	HTTP *http.Client // default: 30 s per request
	Log  io.Writer    // progress, one line a step; default: none
	// BidWindow is how long the tender that goes on to its award takes
	// bids: the loader waits that long for the deadline to pass (default
	// 45 s, time for both vendors to bid and pay their bid security).
	BidWindow time.Duration
	// Statement, when set, is the file the loader writes the bank
	// statement to that the finance officer can upload to reconcile.
	Statement string

	tokens map[string]string
}

// Load loads everything, in the order the services need: licenses first
// (tender qualifies bidders from licensing's events), then tenders, then
// the payments' statements.
func (l *Loader) Load(ctx context.Context) (*Summary, error) {
	if l.HTTP == nil {
		l.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if l.BidWindow == 0 {
		l.BidWindow = 45 * time.Second
	}
	l.Base = strings.TrimRight(l.Base, "/")
	l.tokens = map[string]string{}
	s := &Summary{}
	if err := l.licensing(ctx, s); err != nil {
		return s, fmt.Errorf("licensing: %w", err)
	}
	if err := l.procurement(ctx, s); err != nil {
		return s, fmt.Errorf("procurement: %w", err)
	}
	if err := l.payments(ctx, s); err != nil {
		return s, fmt.Errorf("payment: %w", err)
	}
	return s, nil
}

// Summary is what was loaded, by id, for the caller to print or check.
type Summary struct {
	Applications map[string]string // demo key -> application id
	Tenders      map[string]string // title -> tender id
	Statement    string            // the file written, if any
	Reconciled   string            // the reconciliation's id, when this run uploaded it
}

func (l *Loader) logf(format string, args ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, "demo: "+format+"\n", args...)
	}
}

// token logs the account in once per load.
func (l *Loader) token(ctx context.Context, email string) (string, error) {
	if tok, ok := l.tokens[email]; ok {
		return tok, nil
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := l.call(ctx, "POST", "/api/auth/token", "", map[string]string{"email": email, "password": Password}, &out, 200); err != nil {
		return "", fmt.Errorf("log in %s: %w", email, err)
	}
	l.tokens[email] = out.AccessToken
	return out.AccessToken, nil
}

// as is a caller of the APIs as one demo account.
func (l *Loader) as(ctx context.Context, email string) (*caller, error) {
	tok, err := l.token(ctx, email)
	if err != nil {
		return nil, err
	}
	return &caller{l: l, ctx: ctx, tok: tok, who: email}, nil
}

type caller struct {
	l   *Loader
	ctx context.Context
	tok string
	who string
}

func (c *caller) get(path string, out any) error {
	return c.l.call(c.ctx, "GET", path, c.tok, nil, out, 200)
}

func (c *caller) post(path string, body, out any, want int, headers ...string) error {
	return c.l.call(c.ctx, "POST", path, c.tok, body, out, want, headers...)
}

// statusError is an answer other than the one wanted.
type statusError struct {
	method, path string
	code         int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.code, e.body)
}

// isStatus reports whether err is an answer with the status code.
func isStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.code == code
}

// call sends a JSON request (or body as is when it is []byte, with the
// content type in headers) and decodes the answer into out, when not nil.
func (l *Loader) call(ctx context.Context, method, path, tok string, body, out any, want int, headers ...string) error {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, l.Base+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return &statusError{method, path, resp.StatusCode, strings.TrimSpace(string(b))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer %q", method, path, b)
	}
	return nil
}

// eventually asks cond every half second until it holds or a minute (or
// the context) is over: the services talk by events, so what one does the
// other sees a moment later.
func (l *Loader) eventually(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(time.Minute)
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("%s: not within a minute: %w", what, last)
			}
			return fmt.Errorf("%s: not within a minute", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
