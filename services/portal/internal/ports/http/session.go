package http

import (
	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
)

// A session ends when its token does (app.TokenTTL). Every page warns in
// its last sessionWarning (the layout, and without a reload the page's
// script), and offers to extend it; GET /session says the same as a page
// of its own, for a person without JavaScript who wants to know in time.

// Session is GET /session: when the session ends, and a button to extend
// it; signed out, the login form.
func (w *Web) Session(c *fiber.Ctx) error {
	if w.session(c) == nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return w.page(c, fiber.StatusOK, "session.html", nil, "session.title")
}

// ExtendSession is POST /session/extend: a fresh token for the person
// signed in, then back to the page they were on (the form's back field).
func (w *Web) ExtendSession(c *fiber.Ctx) error {
	u := w.session(c)
	if u == nil {
		return apperr.New(apperr.Unauthenticated, "the session has ended")
	}
	tok, err := w.login.Extend(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	w.setSession(c, tok)
	return c.Redirect(localPath(c.FormValue("back")), fiber.StatusSeeOther)
}
