package http

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

// "What do I need?": the license finder. A person finds the activity by its
// KBLI code or by words, says the business's scale (and the size figure
// the risk depends on, where there is one), and sees the risk level, the
// license, the documents, the fee and the SLA in working days. Public, and
// a GET form: the answer has an address a person can keep or share.

// finderFields are the fields of the finder's second step.
var finderFields = []string{"scale", "size"}

type finderPage struct {
	Query   string            // the search as typed
	Matches []domain.KBLIRule // of the search
	Rule    *domain.KBLIRule  // the activity chosen
	Form    form
	Answer  *domain.Requirements
	Failure *failure
}

// matchKBLI is the rules whose code begins with q, or whose title or sector
// holds every word of q (case folded).
func matchKBLI(rules []domain.KBLIRule, q string) []domain.KBLIRule {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil
	}
	var out []domain.KBLIRule
	for _, r := range rules {
		text := strings.ToLower(r.Title + " " + r.Sector)
		if strings.HasPrefix(r.Code, strings.TrimSpace(q)) || !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) {
			out = append(out, r)
		}
	}
	return out
}

// Finder is GET /licenses/finder?q=&kbli=&scale=&size=.
func (w *Web) Finder(c *fiber.Ctx) error {
	p := finderPage{Query: strings.TrimSpace(c.Query("q")), Form: form{Values: map[string][]string{}}}
	for _, k := range []string{"scale", "size"} {
		if v := c.Query(k); v != "" {
			p.Form.Values.Set(k, strings.Clone(v))
		}
	}
	kbli := strings.TrimSpace(c.Query("kbli"))
	if p.Query == "" && kbli == "" {
		return w.page(c, fiber.StatusOK, "finder.html", p, "finder.title")
	}
	rules, err := w.licenses.KBLIRules(c.UserContext())
	if err != nil {
		if p.Failure, err = w.failureOf(c, err, "error.not_found"); err != nil {
			return err
		}
		return w.page(c, p.Failure.Status, "finder.html", p, "finder.title")
	}
	if kbli == "" {
		p.Matches = matchKBLI(rules, p.Query)
		return w.page(c, fiber.StatusOK, "finder.html", p, "finder.title")
	}
	i := slices.IndexFunc(rules, func(r domain.KBLIRule) bool { return r.Code == kbli })
	if i < 0 {
		p.Query = kbli
		p.Failure = &failure{Status: fiber.StatusNotFound, Key: "finder.unknown_kbli", Args: []any{kbli}}
		return w.page(c, fiber.StatusNotFound, "finder.html", p, "finder.title")
	}
	p.Rule = &rules[i]
	scale := p.Form.Get("scale")
	if scale == "" {
		return w.page(c, fiber.StatusOK, "finder.html", p, "finder.title")
	}
	var size int64
	if s := strings.TrimSpace(p.Form.Get("size")); s != "" && p.Rule.SizeMetric != "" {
		if size, err = strconv.ParseInt(s, 10, 64); err != nil || size < 0 {
			p.Form.Errors = append(p.Form.Errors, fieldError{Field: "size", Message: w.tr(c).T("finder.error.size")})
			return w.page(c, fiber.StatusBadRequest, "finder.html", p, "finder.title")
		}
	}
	need, err := w.licenses.Requirements(c.UserContext(), kbli, scale, size)
	switch {
	case err == nil:
		p.Answer = &need
		return w.page(c, fiber.StatusOK, "finder.html", p, "finder.title_answer", p.Rule.Title)
	case apperr.Is(err, apperr.NotFound):
		p.Failure = &failure{Status: fiber.StatusNotFound, Key: "finder.unknown_kbli", Args: []any{kbli}}
		return w.page(c, fiber.StatusNotFound, "finder.html", p, "finder.title")
	case w.refuse(c, &p.Form, "finder", finderFields, err):
		return w.page(c, formStatus(p.Form), "finder.html", p, "finder.title")
	}
	return err
}

// megabytes writes a size limit as people read it: 5 MB.
func megabytes(n int64) string { return strconv.FormatInt(n/(1<<20), 10) + " MB" }
