package webtest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
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
