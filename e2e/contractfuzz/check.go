package contractfuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SlowRequest is how long an answer may take before it counts as a failure.
const SlowRequest = 5 * time.Second

// Contract is one service's document with a router over it.
type Contract struct {
	Service string
	Doc     *openapi3.T
	router  routers.Router
}

// NewContract prepares doc for checking answers of service.
func NewContract(service string, doc *openapi3.T) (*Contract, error) {
	d := *doc
	d.Servers = nil
	r, err := gorillamux.NewRouter(&d)
	if err != nil {
		return nil, fmt.Errorf("router of %s: %w", service, err)
	}
	return &Contract{Service: service, Doc: doc, router: r}, nil
}

// Result is what a case got.
type Result struct {
	Case     Case
	Status   int
	Took     time.Duration
	Failures []string // empty when the answer is the contract's
	Body     string   // the start of the answer, for the report
	raw      []byte
}

// Raw is the whole answer.
func (r Result) Raw() []byte { return r.raw }

// Check sends c to base and checks the answer against the contract.
func (k *Contract) Check(ctx context.Context, client *http.Client, base, token string, c Case) Result {
	res := Result{Case: c}
	target := base + c.Path
	if c.Query != "" {
		target += "?" + c.Query
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, target, bytes.NewReader(c.Body))
	if err != nil {
		res.Failures = append(res.Failures, "the case is not a request: "+err.Error())
		return res
	}
	if c.ContentType != "" {
		req.Header.Set("Content-Type", c.ContentType)
	}
	for h, v := range c.Headers {
		req.Header.Set(h, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.Took = time.Since(start)
		res.Failures = append(res.Failures, "no answer: "+err.Error())
		return res
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	resp.Body.Close()
	res.Took = time.Since(start)
	res.Status = resp.StatusCode
	res.Body = short(string(body))
	res.raw = body
	if err != nil {
		res.Failures = append(res.Failures, "answer cut short: "+err.Error())
	}
	if res.Took > SlowRequest {
		res.Failures = append(res.Failures, fmt.Sprintf("took %s (more than %s)", res.Took.Round(time.Millisecond), SlowRequest))
	}
	if resp.StatusCode >= 500 {
		res.Failures = append(res.Failures, fmt.Sprintf("answered %d", resp.StatusCode))
	}
	if resp.StatusCode >= 400 {
		if msg := problemFailure(resp, body); msg != "" {
			res.Failures = append(res.Failures, msg)
		}
	}
	if msg := k.contractFailure(ctx, req, resp, body); msg != "" {
		res.Failures = append(res.Failures, msg)
	}
	return res
}

// problemFailure says how an error body is not an RFC 9457 problem.
func problemFailure(resp *http.Response, body []byte) string {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return fmt.Sprintf("error %d answered as %q, not application/problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "the problem is not JSON: " + err.Error()
	}
	if p.Type == "" || p.Title == "" || p.Status != resp.StatusCode {
		return fmt.Sprintf("the problem lacks type or title, or says status %d for %d", p.Status, resp.StatusCode)
	}
	texts := []string{p.Detail}
	for _, f := range p.Errors {
		texts = append(texts, f.Message)
	}
	for _, t := range texts {
		if strings.Contains(t, "Go struct") || strings.Contains(t, "Go value") || strings.Contains(t, "json: cannot") {
			return "the problem speaks of Go types: " + short(t)
		}
	}
	return ""
}

// contractFailure says how the answer is not one the contract declares
// (status, content type, body schema).
func (k *Contract) contractFailure(ctx context.Context, req *http.Request, resp *http.Response, body []byte) string {
	// The services ignore one trailing slash, as fiber does: so does the check.
	if p := req.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		req = req.Clone(ctx)
		req.URL.Path, req.URL.RawPath = strings.TrimSuffix(p, "/"), ""
	}
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		// A path the generator made unroutable (a/b in a segment): the
		// service must still answer a 4xx problem, checked above.
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return ""
		}
		return fmt.Sprintf("answered %d for a path outside the contract", resp.StatusCode)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode,
		Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.VisitAsResponse()}},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Sprintf("answer %d is not the contract's: %s", resp.StatusCode, short2(err.Error(), 300))
	}
	return ""
}

func short2(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Pool keeps ids the services answered with, per service.
type Pool struct {
	mu  sync.Mutex
	ids map[string][]string
}

// Pick returns a kept id of service.
func (p *Pool) Pick(r *rand.Rand, service string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := p.ids[service]
	if len(ids) == 0 {
		return "", false
	}
	return ids[r.IntN(len(ids))], true
}

// Harvest keeps the "id" members of a JSON answer.
func (p *Pool) Harvest(service string, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var found []string
	var walk func(any, int)
	walk = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, item := range x {
				if s, ok := item.(string); ok && (k == "id" || strings.HasSuffix(k, "_id")) && len(s) == 36 {
					found = append(found, s)
				}
				walk(item, depth+1)
			}
		case []any:
			for _, item := range x {
				walk(item, depth+1)
			}
		}
	}
	walk(v, 0)
	if len(found) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids == nil {
		p.ids = map[string][]string{}
	}
	for _, id := range found {
		if len(p.ids[service]) < 500 {
			p.ids[service] = append(p.ids[service], id)
		}
	}
}
