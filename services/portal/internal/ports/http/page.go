package http

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/auth"
)

// The one layout every page is shown in (templates/layout.html): the
// navigation of what the signed-in person can do, the language switch, the
// warning before the session ends, and the server's time in WIB.

// layout is what every page shows around its content.
type layout struct {
	Title   string
	Lang    lang
	Other   lang   // the language the switch offers
	Here    string // this page's path and query: where the switch and the session's extension come back to
	Now     time.Time
	CSRF    string
	User    *signedIn
	Nav     []navLink
	Session *sessionClock // nil when nobody is signed in
	// ClockShown is whether the page itself shows the server's time (beside
	// its deadlines): the footer then does not say it a second time.
	ClockShown bool
}

// clockShower is a page's content that shows the server's time itself.
type clockShower interface{ ShowsServerTime() bool }

// view is what a page's template gets: the layout, and the page's own data
// as .Page.
type view struct {
	layout
	Page any
}

// navLink is one entry of the navigation.
type navLink struct {
	Key, Href string
	Current   bool
}

// navItem is an entry of the navigation and who sees it: the signed-out
// visitor (public), a signed-in person holding one of roles, or both.
type navItem struct {
	key, href string
	public    bool
	roles     []string
}

// everyone is every role: an entry every signed-in person sees.
var everyone = auth.AllRoles()

// navigation lists every entry, in the order shown. A journey adds its pages
// here, for the roles that can use them: a person sees what they can do,
// and nothing else.
var navigation = []navItem{
	{key: "nav.home", href: "/", public: true},
	{key: "nav.dashboard", href: "/", roles: everyone},
	{key: "nav.businesses", href: "/businesses", roles: []string{auth.RoleBusiness}},
	{key: "nav.finder", href: "/licenses/finder", public: true, roles: []string{auth.RoleBusiness}},
	{key: "nav.applications", href: "/applications", roles: []string{auth.RoleBusiness}},
	{key: "nav.licenses", href: "/licenses", roles: []string{auth.RoleBusiness}},
	{key: "nav.review", href: "/review", roles: []string{auth.RoleLicensingOfficer}},
	{key: "nav.committee", href: "/committee", roles: []string{auth.RoleProcurementOfficer}},
	{key: "nav.tenders", href: "/tenders", public: true, roles: everyone},
	{key: "nav.verify", href: "/verify", public: true, roles: everyone},
	{key: "nav.signup", href: "/signup", public: true},
	{key: "nav.password", href: "/account/password", roles: everyone},
}

// navFor is the navigation of user (nil: signed out) on the page at path.
func navFor(user *signedIn, path string) []navLink {
	var out []navLink
	current := -1 // the entry whose href is the longest that path is under (/licenses/finder, not /licenses)
	for _, it := range navigation {
		if user == nil && !it.public || user != nil && !slices.ContainsFunc(user.Roles, func(r string) bool { return slices.Contains(it.roles, r) }) {
			continue
		}
		if path == it.href || it.href != "/" && strings.HasPrefix(path, it.href+"/") {
			if current < 0 || len(it.href) > len(out[current].Href) {
				current = len(out)
			}
		}
		out = append(out, navLink{Key: it.key, Href: it.href})
	}
	if current >= 0 {
		out[current].Current = true
	}
	return out
}

// sessionWarning is how long before its end a session warns that it ends
// (WCAG 2.2.1 Timing Adjustable): long enough to read the warning and press
// the button.
const sessionWarning = 10 * time.Minute

// sessionClock is when the signed-in person's session ends.
type sessionClock struct {
	Ends time.Time
	Warn bool // the end is within sessionWarning: the warning shows without JavaScript
}

// WarnSeconds tells the page's script when to show the warning.
func (sessionClock) WarnSeconds() int { return int(sessionWarning / time.Second) }

func sessionClockOf(u *signedIn, now time.Time) *sessionClock {
	if u == nil || u.ExpiresAt.IsZero() {
		return nil
	}
	return &sessionClock{Ends: u.ExpiresAt, Warn: u.ExpiresAt.Sub(now) <= sessionWarning}
}

// layoutFor builds the layout of the request's page: its language, who is
// signed in, the CSRF token of its forms.
func (w *Web) layoutFor(c *fiber.Ctx) (layout, error) {
	csrf, err := w.csrfToken(c)
	if err != nil {
		return layout{}, err
	}
	l := langOf(c)
	user := w.session(c)
	now := w.clock.Now()
	return layout{
		Lang: l, Other: l.other(), Here: strings.Clone(string(c.Request().URI().RequestURI())), Now: now, CSRF: csrf,
		User: user, Nav: navFor(user, c.Path()), Session: sessionClockOf(user, now),
	}, nil
}

// page renders the template name with content as .Page inside the layout,
// titled by the catalogue's titleKey.
func (w *Web) page(c *fiber.Ctx, status int, name string, content any, titleKey string, titleArgs ...any) error {
	l, err := w.layoutFor(c)
	if err != nil {
		return err
	}
	l.Title = w.catalogue.text(l.Lang, titleKey, titleArgs...) + " — Gerbang"
	if s, ok := content.(clockShower); ok {
		l.ClockShown = s.ShowsServerTime()
	}
	return w.send(c, status, l.Lang, name, view{layout: l, Page: content})
}

// contentSecurityPolicy lets a page load only the portal's own scripts,
// styles and images: no inline script or style, nothing from elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// send renders the page template name in language l with the headers every
// page has.
func (w *Web) send(c *fiber.Ctx, status int, l lang, name string, data any) error {
	var b strings.Builder
	if err := w.templates[l].ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderContentLanguage, string(l))
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(b.String())
}

// localPath is back when it is a path of this site, else "/": the language
// switch and the session's extension never send a browser elsewhere.
func localPath(back string) string {
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") || strings.ContainsAny(back, "\r\n") {
		return "/"
	}
	return back
}

// SwitchLanguage is GET /language/:lang?back=: remembers the language in a
// cookie for a year and goes back to the page. A link, so that it works
// without JavaScript and from every page.
func (w *Web) SwitchLanguage(c *fiber.Ctx) error {
	l := lang(c.Params("lang"))
	if !slices.Contains(languages, l) {
		l = languages[0]
	}
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 60 * 60,
		HTTPOnly: true, Secure: w.secureFor(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(localPath(c.Query("back")), fiber.StatusSeeOther)
}
