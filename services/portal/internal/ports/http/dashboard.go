package http

import (
	"github.com/gofiber/fiber/v2"
)

// dashboardPage is a signed-in person's home: what is theirs and what
// waits for them, by when.
type dashboardPage struct {
	User *signedIn
}

// Dashboard is GET / for a signed-in person.
func (w *Web) Dashboard(c *fiber.Ctx, u *signedIn) error {
	return w.page(c, fiber.StatusOK, "dashboard.html", dashboardPage{User: u}, "dashboard.title")
}
