package http

import (
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"

	"gerbang/pkg/httpx"
	"gerbang/pkg/tracing"
)

// Backend is a service the portal forwards /api/<Name>/... to.
type Backend struct {
	Name string // licensing, tender, payment
	URL  string // its base URL, e.g. http://127.0.0.1:8081
}

// Prefix is the portal path the backend is served under.
func (b Backend) Prefix() string { return "/api/" + b.Name }

// UploadLimit is the largest request body the proxy forwards (document
// uploads). Each service enforces its own, smaller, per-route limits.
const UploadLimit = 25 << 20

// messageHeaders are the request headers of every contract's requests: the
// bearer token (bearerAuth), the body's own type and encoding, and content
// negotiation. Others (cookies above all: the session cookie is the
// portal's alone) stay here.
var messageHeaders = []string{
	fiber.HeaderAuthorization, fiber.HeaderContentType, fiber.HeaderContentEncoding,
	fiber.HeaderAccept, fiber.HeaderAcceptLanguage,
}

// contractHeaders are the header parameters each service's contract
// (api/<service>.yaml) names; the proxy forwards those and messageHeaders,
// nothing else. TestProxyForwardsExactlyTheHeadersEachContractNames keeps
// this table and the contracts in step.
var contractHeaders = map[string][]string{
	"licensing": {"Idempotency-Key", fiber.HeaderIfMatch},
	"tender":    {"Idempotency-Key", fiber.HeaderIfMatch},
	"payment":   {"Idempotency-Key", "X-Gateway-Signature", "X-Gateway-Timestamp"},
}

// forwardedHeaders are the request headers passed to backend name.
func forwardedHeaders(name string) []string {
	return append(slices.Clip(messageHeaders), contractHeaders[name]...)
}

// hopByHop are response headers that describe one connection, not the
// message (RFC 9110 §7.6.1), plus those the portal sets itself.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-authenticate": true, "proxy-authorization": true,
	"te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
	"content-length": true, "x-request-id": true, "server": true, "date": true,
}

// Proxy forwards requests to the services with their prefix stripped and
// answers with what the service answered, status and body as they are.
type Proxy struct {
	client  *fasthttp.Client
	timeout time.Duration
	log     *slog.Logger
}

// NewProxy returns a proxy whose calls to a service last at most timeout.
func NewProxy(timeout time.Duration, log *slog.Logger) *Proxy {
	return &Proxy{
		client: &fasthttp.Client{
			Name:                     "gerbang-portal",
			NoDefaultUserAgentHeader: true,
			MaxConnsPerHost:          512,
			MaxIdleConnDuration:      30 * time.Second,
			ReadTimeout:              timeout,
			WriteTimeout:             timeout,
			MaxResponseBodySize:      64 << 20,
			DisablePathNormalizing:   true, // the path is already normalised and escaped here
		},
		timeout: timeout,
		log:     log,
	}
}

// Handler forwards the requests under b's prefix to b.
func (p *Proxy) Handler(b Backend) fiber.Handler {
	base := strings.TrimRight(b.URL, "/")
	prefix := b.Prefix()
	forwarded := forwardedHeaders(b.Name)
	return func(c *fiber.Ctx) error {
		// The normalised path (no dot segments): the route matched it, so
		// the service gets exactly what the portal routed.
		rest := strings.TrimPrefix(string(c.Request().URI().Path()), prefix)
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		target := base + (&url.URL{Path: rest}).EscapedPath()
		if q := c.Request().URI().QueryString(); len(q) > 0 {
			target += "?" + string(q)
		}

		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(target)
		req.Header.SetMethod(c.Method())
		for _, h := range forwarded {
			if v := c.Request().Header.Peek(h); len(v) > 0 {
				req.Header.SetBytesV(h, v)
			}
		}
		req.Header.Set(fiber.HeaderXRequestID, httpx.RequestID(c))
		req.Header.Set(fiber.HeaderXForwardedFor, c.IP())
		req.Header.Set(fiber.HeaderXForwardedProto, c.Protocol())
		req.Header.Set(fiber.HeaderXForwardedHost, c.Hostname())
		req.SetBodyRaw(c.Request().Body()) // as received, still encoded if it was
		ctx, span := tracing.StartClient(c.UserContext(), c.Method()+" "+b.Name)
		defer span.End()
		tracing.Inject(ctx, req.Header.Set)

		if err := p.client.DoTimeout(req, resp, p.timeout); err != nil {
			return p.unavailable(c, b, err)
		}
		c.Status(resp.StatusCode())
		// Headers the service's Connection header names are hop-by-hop too.
		named := map[string]bool{}
		for _, h := range strings.Split(string(resp.Header.Peek(fiber.HeaderConnection)), ",") {
			named[strings.ToLower(strings.TrimSpace(h))] = true
		}
		resp.Header.VisitAll(func(k, v []byte) {
			if name := strings.ToLower(string(k)); !hopByHop[name] && !named[name] {
				c.Response().Header.SetBytesKV(k, v)
			}
		})
		c.Response().SetBody(resp.Body()) // copied: resp goes back to its pool
		return nil
	}
}

// unavailable answers 502 (or 504 on a timeout) when the service cannot be
// reached.
func (p *Proxy) unavailable(c *fiber.Ctx, b Backend, err error) error {
	status, kind := fiber.StatusBadGateway, "bad_gateway"
	detail := "Layanan " + b.Name + " sedang tidak tersedia / The " + b.Name + " service is unavailable"
	if errors.Is(err, fasthttp.ErrTimeout) {
		status, kind = fiber.StatusGatewayTimeout, "gateway_timeout"
		detail = "Layanan " + b.Name + " tidak menjawab tepat waktu / The " + b.Name + " service did not answer in time"
	}
	p.log.WarnContext(c.UserContext(), "proxy: service unreachable", "service", b.Name, "url", b.URL, "request_id", httpx.RequestID(c), "error", err.Error())
	return httpx.WriteProblem(c, httpx.Problem{
		Type:      httpx.ProblemTypeBase + kind,
		Title:     utils.StatusMessage(status),
		Status:    status,
		Detail:    detail,
		Instance:  c.Path(),
		RequestID: httpx.RequestID(c),
	})
}

// ProxyBodyLimits lets bodies up to UploadLimit through the portal's
// platform limit on the proxied subtrees of backends, for the methods that
// carry bodies. The services enforce their own limits per route.
func ProxyBodyLimits(names ...string) []httpx.RouteLimit {
	var limits []httpx.RouteLimit
	for _, name := range names {
		for _, m := range []string{fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch} {
			limits = append(limits, httpx.RouteLimit{Method: m, Pattern: "/api/" + name + "/*", Bytes: UploadLimit})
		}
	}
	return limits
}
