package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The message catalogue: every string a page shows, in every language.
//
// Each journey keeps its own files, messages/<journey>.<lang>.json (layout,
// public, business, accounts, ...), flat objects from a key to its text. A
// key belongs to one file; every key is in every language (TestCatalogue...).
// A text may take fmt verbs (%s, %d), the same ones in every language.

//go:embed messages/*.json
var messageFS embed.FS

// lang is a language the pages speak, by its BCP 47 tag (the lang attribute).
type lang string

const (
	langID lang = "id" // Bahasa Indonesia, the default
	langEN lang = "en"
)

// languages are those the switch offers, the default first.
var languages = []lang{langID, langEN}

const langCookie = "gerbang_lang"

// other is the language the switch offers from l.
func (l lang) other() lang {
	if l == langID {
		return langEN
	}
	return langID
}

// langOf is the language the request's cookie chose, or the default.
func langOf(c *fiber.Ctx) lang {
	if l := lang(c.Cookies(langCookie)); slices.Contains(languages, l) {
		return l
	}
	return languages[0]
}

// catalogue maps a language to its texts by key.
type catalogue map[lang]map[string]string

// loadCatalogue reads every messages/<journey>.<lang>.json of fsys. A key in
// two files, a file of an unknown language, or a key missing in a language
// is an error: the portal does not start with a hole in a page.
func loadCatalogue(fsys fs.FS) (catalogue, error) {
	cat := catalogue{}
	for _, l := range languages {
		cat[l] = map[string]string{}
	}
	owner := map[string]string{} // lang/key -> file
	files, err := fs.Glob(fsys, "messages/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".json")
		i := strings.LastIndexByte(base, '.')
		if i < 0 {
			return nil, fmt.Errorf("messages: %s is not named <journey>.<lang>.json", f)
		}
		l := lang(base[i+1:])
		if !slices.Contains(languages, l) {
			return nil, fmt.Errorf("messages: %s is in no language the portal speaks (%v)", f, languages)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var texts map[string]string
		if err := json.Unmarshal(raw, &texts); err != nil {
			return nil, fmt.Errorf("messages: %s: %w", f, err)
		}
		for k, v := range texts {
			if prev, ok := owner[string(l)+"/"+k]; ok {
				return nil, fmt.Errorf("messages: key %q is in %s and %s", k, prev, f)
			}
			owner[string(l)+"/"+k] = f
			cat[l][k] = v
		}
	}
	for _, l := range languages {
		for k := range cat[languages[0]] {
			if _, ok := cat[l][k]; !ok {
				return nil, fmt.Errorf("messages: %q has no %s text", k, l)
			}
		}
		for k := range cat[l] {
			if _, ok := cat[languages[0]][k]; !ok {
				return nil, fmt.Errorf("messages: %q has no %s text", k, languages[0])
			}
		}
	}
	return cat, nil
}

// keys are the catalogue's keys, sorted.
func (cat catalogue) keys() []string { return slices.Sorted(maps.Keys(cat[languages[0]])) }

// text is key's text in l with args put in; a key the catalogue lacks
// shows as itself (the catalogue tests keep that from happening).
func (cat catalogue) text(l lang, key string, args ...any) string {
	s, ok := cat[l][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// has is whether the catalogue has key.
func (cat catalogue) has(key string) bool {
	_, ok := cat[languages[0]][key]
	return ok
}

// translator speaks one language: what a handler uses for the texts it
// puts together itself (a page title, a field's message).
type translator struct {
	cat  catalogue
	lang lang
}

// T is key's text.
func (t translator) T(key string, args ...any) string { return t.cat.text(t.lang, key, args...) }

// tr is the translator of the request's language.
func (w *Web) tr(c *fiber.Ctx) translator { return translator{w.catalogue, langOf(c)} }
