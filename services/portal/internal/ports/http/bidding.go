package http

import (
	"encoding/json"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The vendor's pages of a tender: on the tender's own page, the questions
// and answers, whether the vendor may bid and its bid; the bid form (a new
// bid or the replacement of the standing one); the receipt of a bid, to
// keep and to print; and, for anyone, the check of a pasted receipt
// against tender's published keys.

// Limits of the bid form, the tender contract's (api/tender.yaml).
const (
	maxQuestion       = 4000
	maxTechnicalOffer = 100000
	maxBidDocuments   = 20
	maxDocumentName   = 200
	// maxBidFiles is what the documents of one bid may weigh together:
	// tender takes 8 MiB of JSON, in which base64 makes 6 bytes of 8.
	maxBidFiles = 5 << 20
	// maxPrice is a price no tender reaches (a thousand trillion rupiah):
	// beyond it a figure is a typing mistake.
	maxPrice = 1_000_000_000_000_000
)

// BidBodyLimit lets a bid's documents through the bid form, with room for
// the multipart framing; the form checks maxBidFiles itself.
var BidBodyLimit = httpx.RouteLimit{Method: fiber.MethodPost, Pattern: "/tenders/:id/bid", Bytes: maxBidFiles + 1<<20}

// vendorTender is the tender page's data: the announcement (tenderPage)
// and, for a signed-in business, what it may do there.
type vendorTender struct {
	tenderPage
	View   *app.VendorView
	Opened *openingView // the opening record, each bid's outcome in the reader's words
	Result *resultView  // the announced result, bidders by name
	Vendor bool         // a business is signed in
	Form   form         // the question form
	Now    time.Time
}

// Tender is GET /tenders/:id: the announcement, the questions and answers,
// the opening record once the bids are opened, and links to its OCDS
// data; for a signed-in business, whether it may bid and its bid.
func (w *Web) Tender(c *fiber.Ctx) error {
	return w.showTender(c, fiber.StatusOK, form{Values: url.Values{}})
}

func (w *Web) showTender(c *fiber.Ctx, status int, f form) error {
	d, err := app.GetTenderDetail(c.UserContext(), w.tenders, strings.Clone(c.Params("id")))
	if err != nil {
		var p tenderPage
		if p.Failure, err = w.failureOf(c, err, "tender.not_found"); err != nil {
			return err
		}
		return w.page(c, p.Failure.Status, "tender.html", vendorTender{tenderPage: p}, "tenders.title")
	}
	p := vendorTender{tenderPage: tenderPage{Detail: &d}, Form: f, Now: w.clock.Now()}
	if d.Opening != nil {
		op := disqualificationsOf(w.tr(c), *d.Opening)
		p.Opened = &op
	}
	if d.Result != nil {
		p.Result = resultOf(*d.Result, d.Opening)
	}
	token := ""
	if u := w.session(c); u != nil && u.Has(auth.RoleBusiness) {
		token, p.Vendor = u.token, true
	}
	v, err := app.VendorTender(c.UserContext(), w.bidding, w.licenses, token, d.Tender, p.Now)
	if err != nil {
		return err
	}
	p.View = &v
	return w.page(c, status, "tender.html", p, "tender.title", d.Tender.Title)
}

// AskQuestion is POST /tenders/:id/questions: a vendor's question, public
// once asked, its asker never shown.
func (w *Web) AskQuestion(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	f := formOf(c)
	q := strings.TrimSpace(f.Get("question"))
	switch {
	case q == "":
		f.Errors = append(f.Errors, fieldError{"question", tr.T("bid.error.question")})
	case utf8.RuneCountInString(q) > maxQuestion:
		f.Errors = append(f.Errors, fieldError{"question", tr.T("bid.error.question_long", maxQuestion)})
	default:
		err = w.bidding.AskQuestion(c.UserContext(), u.token, param(c, "id"), q)
		switch {
		case err == nil:
			return c.Redirect("/tenders/"+param(c, "id")+"#questions", fiber.StatusSeeOther)
		case apperr.Is(err, apperr.Conflict):
			f.Errors = append(f.Errors, fieldError{"question", tr.T("bid.error.questions_closed", wib(w.clock.Now()))})
		case !w.refuse(c, &f, "bid", []string{"question"}, err):
			return err
		}
	}
	status := fiber.StatusBadRequest
	if err != nil {
		status = statusOf(err)
	}
	return w.showTender(c, status, f)
}

// bidPage is the bid form: a new bid, or the replacement of the standing
// one (Replaces).
type bidPage struct {
	Tender   domain.Tender
	View     app.VendorView
	Replaces *domain.Bid
	Form     form
	Now      time.Time
	MaxFiles string // maxBidFiles, as people write it
}

// bidFields are the bid form's fields, in the order of the page.
var bidFields = []string{"price", "technical_offer", "documents"}

func (w *Web) bidPageOf(c *fiber.Ctx) (*signedIn, bidPage, error) {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return nil, bidPage{}, err
	}
	d, err := app.GetTenderDetail(c.UserContext(), w.tenders, param(c, "id"))
	if err != nil {
		return nil, bidPage{}, err
	}
	p := bidPage{Tender: d.Tender, Form: form{Values: url.Values{}}, Now: w.clock.Now(), MaxFiles: fileSize(maxBidFiles)}
	if p.View, err = app.VendorTender(c.UserContext(), w.bidding, w.licenses, u.token, d.Tender, p.Now); err != nil {
		return nil, bidPage{}, err
	}
	if b := p.View.Bid; b != nil && b.Live() {
		p.Replaces = b
	}
	return u, p, nil
}

// BidForm is GET /tenders/:id/bid.
func (w *Web) BidForm(c *fiber.Ctx) error {
	_, p, err := w.bidPageOf(c)
	if err != nil {
		return err
	}
	if p.Replaces != nil {
		p.Form.Values.Set("replaces", p.Replaces.ID)
	} else {
		p.Form.Values.Set("key", uuid.NewString())
	}
	return w.page(c, fiber.StatusOK, "bid_form.html", p, "bid.form.title", p.Tender.Title)
}

// SubmitBid is POST /tenders/:id/bid: the price, the technical offer and
// the documents, sealed by tender on arrival; the receipt page after.
// Refused by tender's clock after the deadline, and for a vendor without
// the license the tender requires: the form says so, keeps what was typed
// (the files must be chosen again: a browser never keeps them).
func (w *Web) SubmitBid(c *fiber.Ctx) error {
	u, p, err := w.bidPageOf(c)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	p.Form = formOf(c)
	in, fields := bidInputOf(c, p.Form)
	for _, fe := range fields {
		p.Form.Errors = append(p.Form.Errors, fieldError{fe.Field, tr.T(fe.Message, fe.args...)})
	}
	if !p.Form.Failed() {
		var bid domain.Bid
		// The form says what it was: the replacement of a bid, or a new bid
		// under its key (pressed twice, or sent again from a page left open,
		// it is the same bid, never a replacement).
		if replaces := p.Form.Get("replaces"); replaces != "" {
			bid, err = w.bidding.ReplaceBid(c.UserContext(), u.token, p.Tender.ID, replaces, in)
		} else {
			bid, err = w.bidding.SubmitBid(c.UserContext(), u.token, p.Tender.ID, p.Form.Get("key"), in)
		}
		switch {
		case err == nil:
			return c.Redirect("/tenders/"+p.Tender.ID+"/bids/"+bid.ID, fiber.StatusSeeOther)
		case apperr.Is(err, apperr.Forbidden):
			p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("bid.error.not_licensed", p.Tender.KBLI)})
		case apperr.Is(err, apperr.Conflict):
			p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("bid.closed", wib(p.Tender.BidDeadline), wib(w.clock.Now()))})
		case apperr.Is(err, apperr.TooManyRequests):
			p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("bid.error.too_many")})
		case apperr.Is(err, apperr.TooLarge):
			p.Form.Errors = append(p.Form.Errors, fieldError{"documents", tr.T("bid.error.files_large", p.MaxFiles)})
		case !w.refuse(c, &p.Form, "bid", bidFields, err):
			return err
		}
	}
	status := fiber.StatusBadRequest
	if err != nil {
		status = statusOf(err)
	}
	return w.page(c, status, "bid_form.html", p, "bid.form.title", p.Tender.Title)
}

// bidProblem is a field of the bid form at fault: the field, the message
// key and its arguments.
type bidProblem struct {
	Field, Message string
	args           []any
}

// bidInputOf reads the bid form: the price as people write it (Rp
// 1.500.000, 1500000), the technical offer, the chosen files.
func bidInputOf(c *fiber.Ctx, f form) (domain.BidInput, []bidProblem) {
	var in domain.BidInput
	var out []bidProblem
	price, ok := parseRupiah(f.Get("price"))
	switch {
	case strings.TrimSpace(f.Get("price")) == "":
		out = append(out, bidProblem{"price", "bid.error.price", nil})
	case !ok || price <= 0 || price >= maxPrice:
		out = append(out, bidProblem{"price", "bid.error.price_format", nil})
	}
	in.Price = price
	in.TechnicalOffer = strings.TrimSpace(f.Get("technical_offer"))
	switch n := utf8.RuneCountInString(in.TechnicalOffer); {
	case n == 0:
		out = append(out, bidProblem{"technical_offer", "bid.error.technical_offer", nil})
	case n > maxTechnicalOffer:
		out = append(out, bidProblem{"technical_offer", "bid.error.technical_offer_long", []any{maxTechnicalOffer}})
	}
	var files []*multipart.FileHeader
	if mf, err := c.MultipartForm(); err == nil {
		for _, fh := range mf.File["documents"] {
			if fh.Size > 0 || fh.Filename != "" {
				files = append(files, fh)
			}
		}
	}
	var total int64
	for _, fh := range files {
		total += fh.Size
	}
	switch {
	case len(files) > maxBidDocuments:
		out = append(out, bidProblem{"documents", "bid.error.files_many", []any{maxBidDocuments}})
	case total > maxBidFiles:
		out = append(out, bidProblem{"documents", "bid.error.files_large", []any{fileSize(maxBidFiles)}})
	default:
		for _, fh := range files {
			content, err := readPart(fh.Open)
			name := strings.TrimSpace(fh.Filename)
			switch {
			case err != nil || len(content) == 0:
				out = append(out, bidProblem{"documents", "bid.error.file_empty", []any{name}})
			case utf8.RuneCountInString(name) > maxDocumentName:
				out = append(out, bidProblem{"documents", "bid.error.file_name", []any{maxDocumentName}})
			default:
				in.Documents = append(in.Documents, domain.BidDocument{Name: strings.Clone(name), Content: content})
			}
		}
	}
	return in, out
}

// parseRupiah reads an amount as people write it: "Rp 1.500.000",
// "1.500.000", "1500000" (dots or spaces grouping thousands, no cents).
func parseRupiah(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "Rp"), "."))
	s = strings.NewReplacer(".", "", " ", "", "\u00a0", "").Replace(s)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// receiptPage is a bid's receipt.
type receiptPage struct {
	Tender   domain.Tender
	Bid      domain.Bid
	Receipt  domain.Receipt
	JSON     string // the receipt as tender signed it, to keep
	Open     bool   // the bid may still be replaced or withdrawn
	Security *app.SecurityView
	Form     form
	Now      time.Time
}

func (w *Web) receiptPageOf(c *fiber.Ctx) (*signedIn, receiptPage, error) {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return nil, receiptPage{}, err
	}
	d, err := app.GetTenderDetail(c.UserContext(), w.tenders, param(c, "id"))
	if err != nil {
		return nil, receiptPage{}, err
	}
	b, err := w.bidding.MyBid(c.UserContext(), u.token, d.Tender.ID, param(c, "bid"))
	if err != nil {
		return nil, receiptPage{}, err
	}
	p := receiptPage{Tender: d.Tender, Bid: b, Receipt: b.Receipt(), Form: form{Values: url.Values{}}, Now: w.clock.Now()}
	p.Open = b.Live() && app.OpenForBids(d.Tender, p.Now)
	if p.Security, err = app.VendorSecurity(c.UserContext(), w.bidding, w.fees, u.token, d.Tender.ID); err != nil {
		return nil, receiptPage{}, err
	}
	js, err := json.MarshalIndent(p.Receipt, "", "  ")
	if err != nil {
		return nil, receiptPage{}, err
	}
	p.JSON = string(js)
	return u, p, nil
}

// BidReceipt is GET /tenders/:id/bids/:bid: the bid's receipt, printable.
func (w *Web) BidReceipt(c *fiber.Ctx) error {
	_, p, err := w.receiptPageOf(c)
	if err != nil {
		return err
	}
	return w.page(c, fiber.StatusOK, "bid_receipt.html", p, "bid.receipt.title", p.Tender.Title)
}

// BidReceiptJSON is GET /tenders/:id/bids/:bid/receipt.json: the receipt
// as tender signed it, to keep beside the bid.
func (w *Web) BidReceiptJSON(c *fiber.Ctx) error {
	_, p, err := w.receiptPageOf(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tanda-terima-`+p.Bid.ID+`.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.SendString(p.JSON + "\n")
}

// WithdrawBid is POST /tenders/:id/bids/:bid/withdraw, until the deadline.
func (w *Web) WithdrawBid(c *fiber.Ctx) error {
	u, p, err := w.receiptPageOf(c)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	p.Form = formOf(c)
	if p.Form.Get("confirm") != "yes" {
		p.Form.Errors = append(p.Form.Errors, fieldError{"confirm", tr.T("bid.error.confirm")})
		return w.page(c, fiber.StatusBadRequest, "bid_receipt.html", p, "bid.receipt.title", p.Tender.Title)
	}
	_, err = w.bidding.WithdrawBid(c.UserContext(), u.token, p.Tender.ID, p.Bid.ID)
	switch {
	case err == nil:
		return c.Redirect("/tenders/"+p.Tender.ID+"/bids/"+p.Bid.ID, fiber.StatusSeeOther)
	case apperr.Is(err, apperr.Conflict):
		p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("bid.closed", wib(p.Tender.BidDeadline), wib(w.clock.Now()))})
	case !w.refuse(c, &p.Form, "bid", nil, err):
		return err
	}
	return w.page(c, statusOf(err), "bid_receipt.html", p, "bid.receipt.title", p.Tender.Title)
}

// PayBidSecurity is POST /tenders/:id/bids/:bid/security/pay: in the
// sandbox, pays the bid security's invoice the way a bank would.
func (w *Web) PayBidSecurity(c *fiber.Ctx) error {
	u, p, err := w.receiptPageOf(c)
	if err != nil {
		return err
	}
	back := "/tenders/" + p.Tender.ID + "/bids/" + p.Bid.ID
	if p.Security == nil || p.Security.Invoice == nil || p.Security.Invoice.State != domain.InvoicePending {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	p.Form = formOf(c)
	err = w.fees.SandboxPay(c.UserContext(), u.token, p.Security.Invoice.BillingCode)
	switch {
	case err == nil:
		return c.Redirect(back+"#security", fiber.StatusSeeOther)
	case apperr.Is(err, apperr.NotFound):
		p.Form.Errors = append(p.Form.Errors, fieldError{"", w.tr(c).T("apply.fee.no_sandbox")})
	case !w.refuse(c, &p.Form, "bid", nil, err):
		return err
	}
	return w.page(c, statusOf(err), "bid_receipt.html", p, "bid.receipt.title", p.Tender.Title)
}

// receiptCheckPage is the public check of a pasted receipt.
type receiptCheckPage struct {
	Form   form
	Result *domain.ReceiptCheck
}

// ReceiptCheck is GET /receipts/check: paste a bid receipt, have it checked.
func (w *Web) ReceiptCheck(c *fiber.Ctx) error {
	return w.page(c, fiber.StatusOK, "receipt_check.html", receiptCheckPage{Form: form{Values: url.Values{}}}, "receipt.title")
}

// CheckReceipt is POST /receipts/check: genuine when one of tender's
// published receipt keys verifies it.
func (w *Web) CheckReceipt(c *fiber.Ctx) error {
	p := receiptCheckPage{Form: formOf(c)}
	pasted := strings.TrimSpace(p.Form.Get("receipt"))
	if pasted == "" {
		p.Form.Errors = append(p.Form.Errors, fieldError{"receipt", w.tr(c).T("receipt.error.empty")})
		return w.page(c, fiber.StatusBadRequest, "receipt_check.html", p, "receipt.title")
	}
	keys, err := w.bidding.ReceiptKeys(c.UserContext())
	if err != nil {
		if w.refuse(c, &p.Form, "receipt", nil, err) {
			return w.page(c, statusOf(err), "receipt_check.html", p, "receipt.title")
		}
		return err
	}
	r := domain.CheckReceipt(pasted, keys)
	p.Result = &r
	return w.page(c, fiber.StatusOK, "receipt_check.html", p, "receipt.title")
}

// resultView is a tender's announced result as its page shows it.
type resultView struct {
	Method  string
	Ranking []rankedRow
}

// rankedRow is one ranked bid with its bidder's name, and whether it won
// or stands in reserve (1, 2).
type rankedRow struct {
	domain.RankedBid
	Name    string
	Winner  bool
	Reserve int
}

// resultOf names the result's bidders from the opening record (tender's
// names, from licensing's events; the business id where it has none).
func resultOf(r domain.TenderResult, op *domain.Opening) *resultView {
	names := map[string]string{}
	if op != nil {
		for _, b := range op.Bids {
			if b.VendorName != "" {
				names[b.Vendor] = b.VendorName
			}
		}
	}
	v := &resultView{Method: r.Method}
	for _, b := range r.Ranking {
		row := rankedRow{RankedBid: b, Name: names[b.Vendor], Winner: b.BidID == r.Winner}
		if row.Name == "" {
			row.Name = b.Vendor
		}
		for i, id := range r.Reserves {
			if id == b.BidID {
				row.Reserve = i + 1
			}
		}
		v.Ranking = append(v.Ranking, row)
	}
	return v
}
