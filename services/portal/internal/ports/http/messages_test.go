package http

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"gerbang/pkg/auth"
)

// Every string a person sees comes from the catalogue, in both languages.

func TestCatalogueHasEveryKeyInEveryLanguageWithTheSameVerbs(t *testing.T) {
	cat, err := loadCatalogue(messageFS)
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
	for _, k := range cat.keys() {
		want := verbs.FindAllString(cat[languages[0]][k], -1)
		for _, l := range languages {
			text := cat[l][k]
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if got := verbs.FindAllString(text, -1); !slices.Equal(got, want) {
				t.Errorf("%q: %s has verbs %v, %s has %v", k, languages[0], want, l, got)
			}
		}
	}
}

func TestCatalogueRefusesAKeyMissingInALanguageOrInTwoFiles(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"missing in en": {
			"messages/a.id.json": {Data: []byte(`{"a.one": "satu", "a.two": "dua"}`)},
			"messages/a.en.json": {Data: []byte(`{"a.one": "one"}`)},
		},
		"missing in id": {
			"messages/a.id.json": {Data: []byte(`{"a.one": "satu"}`)},
			"messages/a.en.json": {Data: []byte(`{"a.one": "one", "a.two": "two"}`)},
		},
		"in two files": {
			"messages/a.id.json": {Data: []byte(`{"a.one": "satu"}`)},
			"messages/b.id.json": {Data: []byte(`{"a.one": "satu"}`)},
			"messages/a.en.json": {Data: []byte(`{"a.one": "one"}`)},
		},
		"unknown language": {
			"messages/a.id.json": {Data: []byte(`{"a.one": "satu"}`)},
			"messages/a.en.json": {Data: []byte(`{"a.one": "one"}`)},
			"messages/a.fr.json": {Data: []byte(`{"a.one": "un"}`)},
		},
	} {
		if _, err := loadCatalogue(files); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

var (
	templateComment = regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}`)
	templateAction  = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	codeElement     = regexp.MustCompile(`(?s)<code>.*?</code>`)
	htmlTag         = regexp.MustCompile(`(?s)<[^>]*>`)
	visibleAttr     = regexp.MustCompile(`(?i)\b(title|alt|placeholder|aria-label|aria-description|label)\s*=\s*"([^"]*)"`)
	htmlEntity      = regexp.MustCompile(`&[a-zA-Z0-9#]+;`)
)

// literalText returns the text of a template that a person would see and
// that is not from the catalogue: words between tags, in the attributes
// people see (title, alt, placeholder, aria-label). Code in <code> is not
// a language and may stand as it is.
func literalText(src string) []string {
	var found []string
	hasLetter := func(s string) bool { return strings.ContainsFunc(s, unicode.IsLetter) }
	src = templateComment.ReplaceAllString(src, "")
	src = templateAction.ReplaceAllString(src, "§")
	src = codeElement.ReplaceAllString(src, "§")
	src = htmlTag.ReplaceAllStringFunc(src, func(tag string) string {
		for _, m := range visibleAttr.FindAllStringSubmatch(tag, -1) {
			if hasLetter(m[2]) {
				found = append(found, m[1]+`="`+m[2]+`"`)
			}
		}
		return "§"
	})
	src = htmlEntity.ReplaceAllString(src, "")
	for _, part := range strings.Split(src, "§") {
		if s := strings.TrimSpace(part); hasLetter(s) {
			found = append(found, s)
		}
	}
	return found
}

func TestLiteralTextIsFoundInATemplate(t *testing.T) {
	for src, want := range map[string]int{
		`<p>{{t "a.b"}}</p>`: 0,
		`<p>Masuk</p>`:       1,
		`<a href="/x" title="Buka">{{t "a.b"}}</a>`:                  1,
		`<input placeholder="{{t "a.b"}}" name="email">`:             0,
		`{{/* a comment says why */}}<p>{{.X}} · ✓</p>`:              0,
		`<li>{{t "a.b"}}: <code>GET /api/x</code> or else</li>`:      1,
		`<button type="submit">{{t "a.b"}}</button> Log in &nbsp;`:   1,
		"{{- /* long\ncomment */ -}}\n<p>{{if .A}}{{.B}}{{end}}</p>": 0,
	} {
		if got := literalText(src); len(got) != want {
			t.Errorf("%s: found %q, want %d", src, got, want)
		}
	}
}

func TestTemplatesShowNoTextOutsideTheCatalogue(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v %v", files, err)
	}
	for _, f := range files {
		src, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, lit := range literalText(string(src)) {
			t.Errorf("%s shows %q: put it in messages/ and use {{t \"key\"}}", f, lit)
		}
	}
}

// TestEveryKeyInUseIsInTheCatalogue reads the keys the templates name
// ({{t "key"}}, {{tl "key" ...}}), the keys the Go code names (a string of
// a catalogue namespace), and the keys built from codes (states, roles,
// services, the language switch), and finds each in the catalogue.
func TestEveryKeyInUseIsInTheCatalogue(t *testing.T) {
	cat, err := loadCatalogue(messageFS)
	if err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for _, k := range cat.keys() {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	used := map[string]string{} // key -> where
	templateKey := regexp.MustCompile(`\{\{-?\s*(?:t|tl)\s+"([^"]+)"`)
	nestedKey := regexp.MustCompile(`\((?:t|tl)\s+"([^"]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		src, _ := fs.ReadFile(templateFS, f)
		for _, re := range []*regexp.Regexp{templateKey, nestedKey} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				used[m[1]] = f
			}
		}
	}
	goKey := regexp.MustCompile(`"([a-z][a-z_]*(?:\.[a-z0-9_]+)+)"`)
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(src), -1) {
			if ns := strings.SplitN(m[1], ".", 2)[0]; namespaces[ns] && !strings.HasSuffix(m[1], ".html") && !isPrefix(cat, m[1]) {
				used[m[1]] = f
			}
		}
	}
	for prefix, codes := range tones {
		for code := range codes {
			used[prefix+"."+code] = "tones in format.go"
			if prefix == "license.status" {
				used["license.meaning."+code] = "tones in format.go"
			}
		}
	}
	for _, r := range auth.AllRoles() {
		used["role."+r] = "auth.AllRoles"
	}
	for _, s := range []string{"licensing", "tender", "payment"} {
		used["service."+s] = "the services"
	}
	for _, l := range languages {
		used["layout.switch_to."+string(l)] = "languages"
	}
	for _, it := range navigation {
		used[it.key] = "navigation"
	}
	for k, where := range used {
		if !cat.has(k) {
			t.Errorf("%s uses %q, which the catalogue lacks", where, k)
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
}

// isPrefix is whether s is the prefix of keys built from codes (tender.state).
func isPrefix(cat catalogue, s string) bool {
	return slices.ContainsFunc(cat.keys(), func(k string) bool { return strings.HasPrefix(k, s+".") })
}

func TestAServicesFieldIsTheFormsField(t *testing.T) {
	for in, want := range map[string]string{"npwp": "npwp", "kbli[1]": "kbli", "body.kbli.1": "kbli", "body.npwp": "npwp", "body": "body"} {
		if got := formField(in); got != want {
			t.Errorf("formField(%q) = %q, want %q", in, got, want)
		}
	}
}
