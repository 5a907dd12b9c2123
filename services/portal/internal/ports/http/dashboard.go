package http

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// dashboardPage is a signed-in person's home: what is theirs (businesses by
// name and NIB, applications, licenses) and what waits for them, by when.
type dashboardPage struct {
	User         *signedIn
	Businesses   []domain.Business
	Applications []applicationRow // open ones, soonest due first
	Licenses     []heldLicense
	// A licensing officer's review queue: its first applications, soonest
	// due first, and how many of the whole queue are due today or overdue.
	Queue    []applicationRow
	QueueDue app.QueuePage
	Failure  *failure // licensing could not say
}

// ShowsServerTime: the dashboard says the server's time once, above the
// deadlines it lists (the layout's footer leaves it out).
func (dashboardPage) ShowsServerTime() bool { return true }

// applicationRow is an application with the business it is for, by name.
type applicationRow struct {
	domain.Application
	BusinessName string
	Overdue      bool
}

// Waiting is whether the person looking must act next.
func (r applicationRow) Waiting(role string) bool {
	return role == auth.RoleBusiness && r.WhoseTurn == "applicant" || role == auth.RoleLicensingOfficer && r.WhoseTurn == "officer"
}

// dashboardQueue is how many of the review queue the dashboard lists; the
// queue page has the rest.
const dashboardQueue = 10

// Dashboard is GET / for a signed-in person.
func (w *Web) Dashboard(c *fiber.Ctx, u *signedIn) error {
	p := dashboardPage{User: u}
	now := w.clock.Now()
	row := func(a domain.Application, names map[string]string) applicationRow {
		return applicationRow{Application: a, BusinessName: names[a.BusinessID], Overdue: a.TurnDueAt != nil && a.TurnDueAt.Before(now)}
	}
	ctx := c.UserContext()
	err := func() error {
		if u.Has(auth.RoleBusiness) {
			var err error
			if p.Businesses, err = w.licenses.MyBusinesses(ctx, u.token); err != nil {
				return err
			}
			names := map[string]string{}
			for _, b := range p.Businesses {
				names[b.ID] = b.Name
			}
			apps, err := w.licenses.MyApplications(ctx, u.token)
			if err != nil {
				return err
			}
			for _, a := range apps {
				if a.Open() {
					p.Applications = append(p.Applications, row(a, names))
				}
			}
			sortByDue(p.Applications)
			ls, err := w.licenses.MyLicenses(ctx, u.token)
			if err != nil {
				return err
			}
			for _, l := range ls {
				p.Licenses = append(p.Licenses, heldLicense{IssuedLicense: l, Now: now})
			}
		}
		if u.Has(auth.RoleLicensingOfficer) {
			queue, err := app.ReviewQueue(ctx, w.desk, u.token, app.QueueFilter{}, dashboardQueue, "")
			if err != nil {
				return err
			}
			p.QueueDue = queue
			for _, a := range queue.Items {
				d := domain.Application{ID: a.ID, BusinessID: a.BusinessID, KBLI: a.KBLI, State: string(a.State), WhoseTurn: a.WhoseTurn, TurnDueAt: a.TurnDueAt}
				if a.Terms != nil {
					d.LicenseName = a.Terms.Name
				}
				p.Queue = append(p.Queue, row(d, nil))
			}
		}
		return nil
	}()
	// The dashboard is the person's way in to everything else: it shows,
	// whatever licensing answered, and says where licensing failed.
	if err != nil {
		if p.Failure, err = w.failureOf(c, err, "error.not_found"); err != nil {
			w.log.ErrorContext(ctx, "dashboard: licensing refused", "error", err.Error())
			p.Failure = &failure{Status: fiber.StatusBadGateway, Key: "error.down", Args: []any{w.tr(c).T("service.licensing")}}
		}
	}
	return w.page(c, fiber.StatusOK, "dashboard.html", p, "dashboard.title")
}

// sortByDue puts the soonest due first, those without a due date last.
func sortByDue(rows []applicationRow) {
	slices.SortStableFunc(rows, func(a, b applicationRow) int {
		switch {
		case a.TurnDueAt == nil && b.TurnDueAt == nil:
			return 0
		case a.TurnDueAt == nil:
			return 1
		case b.TurnDueAt == nil:
			return -1
		}
		return a.TurnDueAt.Compare(*b.TurnDueAt)
	})
}
