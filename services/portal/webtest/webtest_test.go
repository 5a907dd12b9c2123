package webtest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// The harness finds what it is there to find: a page with an image without
// a text alternative, an input without a label and no language gets those
// violations from axe-core, and a page without them gets none.
func TestAxeFindsTheViolationsOfABadPageAndNoneOnAGoodOne(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'") // as the portal's: axe still runs
		if r.URL.Path == "/bad" {
			w.Write([]byte(`<!doctype html><html><head><title>bad</title></head><body><img src="/x.png"><input name="q"></body></html>`))
			return
		}
		w.Write([]byte(`<!doctype html><html lang="id"><head><title>baik</title></head><body><main><h1>Baik</h1>` +
			`<label for="q">Cari</label><input id="q" name="q"></main></body></html>`))
	}))
	defer srv.Close()
	tab := Start(t).Tab(t, Phone)

	tab.Go(srv.URL + "/bad")
	var ids []string
	for _, v := range tab.Audit() {
		ids = append(ids, v.ID+"/"+v.Impact)
	}
	for _, want := range []string{"image-alt/critical", "label/critical", "html-has-lang/serious"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe-core found %v, not %s", ids, want)
		}
	}

	tab.Go(srv.URL + "/good")
	if found := tab.Audit(); len(found) != 0 {
		t.Errorf("a good page has violations: %v", found)
	}
	tab.See("Baik", "Cari")
}

// A link on two lines, as one that wraps on a phone, is clicked where it is
// (its first line, not the middle of its bounding box, which lies on the
// text before it); a page
// that moves on by itself is waited for; a fetch() in the page is awaited.
func TestAWrappedLinkIsClickedAPageThatMovesOnIsWaitedForAndAFetchAwaited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			w.Write([]byte(`<!doctype html><html lang="id"><head><title>awal</title></head><body><main><h1>Awal</h1>` +
				`<p>kata kata kata kata kata kata <a href="/waiting">tautan<br>ini</a></p></main></body></html>`))
		case "/waiting":
			w.Write([]byte(`<!doctype html><html lang="id"><head><title>tunggu</title><meta http-equiv="refresh" content="1; url=/arrived"></head>` +
				`<body><main><h1>Menunggu</h1></main></body></html>`))
		case "/arrived":
			w.Write([]byte(`<!doctype html><html lang="id"><head><title>tiba</title></head><body><main><h1>Sudah tiba</h1></main></body></html>`))
		case "/file":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.7\n"))
		}
	}))
	defer srv.Close()
	tab := Start(t).Tab(t, Phone)

	tab.Go(srv.URL + "/")
	if lines := Eval[int](tab, `document.querySelector("a").getClientRects().length`); lines < 2 {
		t.Fatalf("the link is on %d line, the test needs it wrapped", lines)
	}
	tab.ClickAndWait("a")
	tab.See("Menunggu")
	tab.SeeWithin(10*time.Second, "Sudah tiba")
	if got := Await[string](tab, `fetch("/file").then(r => r.text())`); got != "%PDF-1.7\n" {
		t.Errorf("the fetch gave %q", got)
	}
}
