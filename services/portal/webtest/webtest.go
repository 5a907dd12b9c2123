// Package webtest drives the portal's pages in a real browser for tests:
// Debian's headless chromium through chromedp, at a phone's and a
// desktop's size, with axe-core (vendored, axe-4.14.1.min.js) run inside
// every page checked, failing on any serious or critical violation of WCAG
// 2.2 A and AA and listing each one.
//
// The portal's own tests use it (services/portal/cmd/portal) and so can the
// journey tests of e2e: it imports nothing of the portal.
//
//	b := webtest.Start(t)                   // one browser for the test
//	tab := b.Tab(t, webtest.Phone)           // a tab at 390x844
//	tab.Go(base + "/")
//	tab.Fill("#email", "usaha@demo.gerbang.id")
//	tab.Submit(`form[action="/login"]`)
//	tab.See("Dasbor")                        // what the person sees
//	tab.Accessible()                         // axe-core, no serious or critical violation
package webtest

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, the browser the portal is tested in.
const ChromiumPath = "/usr/bin/chromium"

// Timeout bounds everything one browser does in a test, so that a page
// that never comes ends the test with what it showed instead of hanging
// `make test`.
const Timeout = 5 * time.Minute

//go:embed axe-4.14.1.min.js
var axeSource string

// Viewport is a screen size, and whether it is a phone's (touch, mobile
// user agent, twice the pixels).
type Viewport struct {
	Name          string
	Width, Height int64
	Mobile        bool
}

var (
	// Phone is a common phone's screen, 390x844 CSS pixels.
	Phone = Viewport{Name: "phone", Width: 390, Height: 844, Mobile: true}
	// Desktop is a laptop's screen.
	Desktop = Viewport{Name: "desktop", Width: 1280, Height: 800}
	// Viewports are the sizes every page is checked at.
	Viewports = []Viewport{Phone, Desktop}
)

var installOnce sync.Once

// EnsureChromium installs Debian's chromium when the machine lacks it: the
// browser tests run everywhere, they never skip.
func EnsureChromium(t testing.TB) string {
	t.Helper()
	var err error
	installOnce.Do(func() {
		if _, statErr := os.Stat(ChromiumPath); statErr == nil {
			return
		}
		t.Logf("%s missing: installing Debian's chromium", ChromiumPath)
		for _, args := range [][]string{
			{"update"},
			{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "chromium"},
		} {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, runErr := cmd.CombinedOutput(); runErr != nil {
				err = fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), runErr, out)
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ChromiumPath
}

// Browser is one headless chromium for a test, stopped when the test ends.
type Browser struct {
	ctx context.Context
	out string // the file chromium writes its output to
}

// Start runs a headless chromium (no sandbox: tests run as root; no
// background networking: the machine reaches nothing but the portal) for
// at most Timeout.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := EnsureChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	out, err := os.CreateTemp(t.TempDir(), "chromium-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no-first-run, ...
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v\n%s", err, readFile(out.Name()))
	}
	return &Browser{ctx: browser, out: out.Name()}
}

// Tab is a browser tab at one viewport, with cookies of its own: each tab
// is another person (or the same person on another device).
type Tab struct {
	t        testing.TB
	ctx      context.Context
	Viewport Viewport
	browser  *Browser
}

// Tab opens a tab at the viewport v.
func (b *Browser) Tab(t testing.TB, v Viewport) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	emulate := chromedp.EmulateViewport(v.Width, v.Height)
	if v.Mobile {
		emulate = chromedp.EmulateViewport(v.Width, v.Height, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	tab := &Tab{t: t, ctx: ctx, Viewport: v, browser: b}
	tab.do("set the viewport", emulate)
	return tab
}

func (tab *Tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, steps...); err != nil {
		tab.fail(what, err)
	}
}

func (tab *Tab) fail(what string, err error) {
	tab.t.Helper()
	tab.t.Fatalf("%s (%s): %v\non the page:\n%s\nbrowser: %s", what, tab.Viewport.Name, err, tab.bodyText(), readFile(tab.browser.out))
}

// run is the value of action in the tab.
func run[T any](tab *Tab, what string, action chromedp.Action[T]) T {
	tab.t.Helper()
	v, err := chromedp.Run(tab.ctx, action)
	if err != nil {
		tab.fail(what, err)
	}
	return v
}

// bodyText is what the page shows, for a failure's message; it never fails.
func (tab *Tab) bodyText() string {
	ctx, cancel := context.WithTimeout(tab.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// The actions below find elements with JavaScript in the page and act
// through the browser's input domain (real key strokes and mouse clicks at
// the element), never through chromedp's selectors: those read chromedp's
// copy of the DOM tree while its event handler writes it, a data race the
// race detector reports now and then (chromedp issues #739, #1593).

// Go opens url and waits until the page has loaded.
func (tab *Tab) Go(url string) {
	tab.t.Helper()
	tab.do("open "+url, chromedp.Navigate(url))
	tab.waitFor("the page "+url, `document.readyState === "complete" && !!document.body`)
}

// waitFor evaluates the JavaScript expression cond until it is true, or
// the test's time is up. Asked while a page goes, the browser answers with
// an error: that is asked again too.
func (tab *Tab) waitFor(what, cond string) {
	tab.t.Helper()
	if err := tab.poll(cond, time.Time{}); err != nil {
		tab.fail("wait for "+what, err)
	}
}

// poll evaluates cond until it is true, or until deadline (the zero time:
// none) or the test's time is up, saying then what it last heard.
func (tab *Tab) poll(cond string, deadline time.Time) error {
	var last error
	for {
		ctx, cancel := context.WithTimeout(tab.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && done {
			return nil
		}
		if err != nil {
			last = err
		}
		if tab.ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
			if last == nil {
				last = cmp.Or(tab.ctx.Err(), errors.New("still false"))
			}
			return last
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// element is a JavaScript expression for the first element matching the
// CSS selector sel.
func element(sel string) string {
	return fmt.Sprintf("document.querySelector(%s)", quote(sel))
}

// quote is s as a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitVisible waits until sel is on the page with a size and not hidden,
// as a person would need it to be to use it.
func (tab *Tab) waitVisible(sel string) {
	tab.t.Helper()
	tab.waitFor(sel+" to be visible", `(() => { const e = `+element(sel)+`;
	  if (!e) return false;
	  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
	  return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; })()`)
}

// center scrolls sel into view and is the point at its middle, in CSS
// pixels of the viewport: the middle of its first line box, for a link
// that wraps on a narrow screen has nothing of itself at the middle of
// its bounding box.
func (tab *Tab) center(sel string) (x, y float64) {
	tab.t.Helper()
	p := run(tab, "locate "+sel, chromedp.Evaluate[[]float64](`(() => { const e = `+element(sel)+`;
	  e.scrollIntoView({block: "center", inline: "center"});
	  const r = e.getClientRects()[0] || e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
	return p[0], p[1]
}

// click presses and releases the mouse at the middle of sel.
func (tab *Tab) click(sel string) {
	tab.t.Helper()
	tab.waitVisible(sel)
	x, y := tab.center(sel)
	tab.do("click "+sel, chromedp.MouseClickXY(x, y))
}

// Fill types value into the input sel (a CSS selector), replacing what is there.
func (tab *Tab) Fill(sel, value string) {
	tab.t.Helper()
	tab.waitVisible(sel)
	run(tab, "clear "+sel, chromedp.Evaluate[bool](`(() => { const e = `+element(sel)+`;
	  e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`))
	if value != "" {
		tab.do("type into "+sel, chromedp.KeyEvent(value))
	}
	tab.waitFor(sel+" to hold what was typed", element(sel)+".value === "+quote(value))
}

// Choose picks the option with value in the select sel.
func (tab *Tab) Choose(sel, value string) {
	tab.t.Helper()
	tab.waitVisible(sel)
	ok := run(tab, "choose "+value+" in "+sel, chromedp.Evaluate[bool](`(() => { const e = `+element(sel)+`;
	  if (![...e.options].some(o => o.value === `+quote(value)+`)) return false;
	  e.value = `+quote(value)+`;
	  e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true}));
	  return true; })()`))
	if !ok {
		tab.fail("choose "+value+" in "+sel, fmt.Errorf("the list has no option %q", value))
	}
}

// Upload puts the file at path into the file input sel, as a person
// choosing it in the file dialog would.
func (tab *Tab) Upload(sel, path string) {
	tab.t.Helper()
	tab.waitFor(sel+" to be on the page", "!!"+element(sel))
	tab.do("upload "+path+" into "+sel, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		obj, err := chromedp.Evaluate[*runtime.RemoteObject](element(sel))(ctx, t)
		if err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{path}, ObjectID: obj.ObjectID}); err != nil {
			return err
		}
		_, err = chromedp.Evaluate[bool](element(sel)+`.dispatchEvent(new Event("change", {bubbles: true}))`)(ctx, t)
		return err
	}))
}

// Click clicks sel and waits for the page it leads to (or the same page) to be ready.
func (tab *Tab) Click(sel string) {
	tab.t.Helper()
	tab.click(sel)
	tab.waitFor("the page after "+sel, `document.readyState === "complete" && !!document.body`)
}

// Submit presses the submit button of the form sel and waits for the answer.
func (tab *Tab) Submit(form string) {
	tab.t.Helper()
	tab.ClickAndWait(form + ` [type=submit]`)
}

// ClickAndWait clicks sel, which loads another page, and waits until that
// page has replaced this one.
func (tab *Tab) ClickAndWait(sel string) {
	tab.t.Helper()
	before := run(tab, "read the page", chromedp.Evaluate[string](`String(performance.timeOrigin)`))
	tab.click(sel)
	tab.waitFor("the page after "+sel, fmt.Sprintf(`document.readyState === "complete" && String(performance.timeOrigin) !== %q`, before))
}

// Text is what the element sel shows.
func (tab *Tab) Text(sel string) string {
	tab.t.Helper()
	tab.waitFor(sel+" to be on the page", "!!"+element(sel))
	return run(tab, "read "+sel, chromedp.Evaluate[string](element(sel)+".innerText"))
}

// See fails the test unless the page shows every one of texts (in the
// page's visible text, as a person reads it).
func (tab *Tab) See(texts ...string) string {
	tab.t.Helper()
	page := tab.bodyText()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			tab.t.Errorf("%s: the page does not show %q; it shows:\n%s", tab.Viewport.Name, s, page)
		}
	}
	return page
}

// SeeWithin waits, for at most d, until the page shows every one of texts:
// for a page that moves on by itself (htmx asking the server, a redirect
// it is told to follow), as a person waiting in front of it would. It
// fails with what the page shows when d is over.
func (tab *Tab) SeeWithin(d time.Duration, texts ...string) {
	tab.t.Helper()
	cond := `!!document.body && document.readyState === "complete"`
	for _, s := range texts {
		cond += ` && document.body.innerText.includes(` + quote(s) + `)`
	}
	if err := tab.poll(cond, time.Now().Add(d)); err != nil {
		tab.t.Fatalf("%s: the page did not show %q within %s (%v); at %s it shows:\n%s", tab.Viewport.Name, texts, d, err, tab.Location(), tab.bodyText())
	}
}

// SeeNot fails the test if the page shows any of texts.
func (tab *Tab) SeeNot(texts ...string) {
	tab.t.Helper()
	page := tab.bodyText()
	for _, s := range texts {
		if strings.Contains(page, s) {
			tab.t.Errorf("%s: the page shows %q:\n%s", tab.Viewport.Name, s, page)
		}
	}
}

// Eval is the value of a JavaScript expression in the page.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	return run(tab, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// Await is the value a JavaScript expression's promise settles to in the
// page (a fetch() with the page's cookies, say).
func Await[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	return run(tab, "await "+expr, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Location is the page's address.
func (tab *Tab) Location() string {
	tab.t.Helper()
	return run(tab, "read the location", chromedp.Location())
}

// FitsTheScreen fails the test when the page is wider than the viewport
// (a person on a phone would scroll sideways).
func (tab *Tab) FitsTheScreen() {
	tab.t.Helper()
	if w := Eval[int](tab, `document.documentElement.scrollWidth`); int64(w) > tab.Viewport.Width {
		tab.t.Errorf("%s: the page is %d CSS pixels wide on a %d pixel screen", tab.Viewport.Name, w, tab.Viewport.Width)
	}
}

// Screenshot is a PNG of the whole page.
func (tab *Tab) Screenshot() []byte {
	tab.t.Helper()
	b := run(tab, "take a screenshot", chromedp.FullScreenshot(100))
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		tab.t.Fatalf("the screenshot is no PNG (%d bytes)", len(b))
	}
	return b
}

// Violation is an axe-core finding.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	URL    string   `json:"helpUrl"`
	Nodes  []string `json:"nodes"` // CSS selectors of the elements at fault
	Detail []string `json:"detail"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s [%s] %s (%s)\n    at %s\n    %s", v.ID, v.Impact, v.Help, v.URL, strings.Join(v.Nodes, ", "), strings.Join(v.Detail, "\n    "))
}

// wcag22 are the axe-core tags of WCAG 2.0, 2.1 and 2.2, levels A and AA.
const wcag22 = `["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22a","wcag22aa"]`

// Audit runs axe-core in the page for WCAG 2.2 A and AA and returns every
// violation found.
func (tab *Tab) Audit() []Violation {
	tab.t.Helper()
	if !run(tab, "look for axe-core", chromedp.Evaluate[bool](`typeof axe === "object"`)) {
		run(tab, "load axe-core", chromedp.Evaluate[bool](axeSource+";true"))
	}
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + wcag22 + `}, resultTypes: ["violations"]}).then(r =>
	  r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	    nodes: v.nodes.map(n => n.target.join(" ")), detail: v.nodes.map(n => n.failureSummary || "")})))`
	return run(tab, "run axe-core", chromedp.Evaluate[[]Violation](script, chromedp.EvalAwaitPromise))
}

// Accessible fails the test when axe-core finds a serious or critical WCAG
// 2.2 A/AA violation on the page, listing every one; lesser ones are
// logged.
func (tab *Tab) Accessible() {
	tab.t.Helper()
	var serious []string
	for _, v := range tab.Audit() {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, v.String())
		} else {
			tab.t.Logf("%s: axe-core, %s: %s", tab.Viewport.Name, v.Impact, v)
		}
	}
	if len(serious) > 0 {
		tab.t.Errorf("%s %s: %d serious or critical WCAG 2.2 violations:\n  %s", tab.Viewport.Name, tab.Location(), len(serious), strings.Join(serious, "\n  "))
	}
}

// readFile is the file's content, or why it cannot be read.
func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
