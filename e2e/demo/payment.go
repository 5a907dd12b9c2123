package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gerbang/pkg/checkdigit"
)

var wib = time.FixedZone("WIB", 7*3600)

// payments reconciles one statement (the fee PT Karya Nusantara paid, and
// a transfer the bank credited that matches no invoice), and writes the
// next statement, of the other payments, for the finance officer to
// upload.
func (l *Loader) payments(ctx context.Context, s *Summary) error {
	finance, err := l.as(ctx, Finance)
	if err != nil {
		return err
	}
	all, err := l.invoices(finance)
	if err != nil {
		return err
	}
	fee := s.Applications["demo-vendor2-konstruksi"]
	var first, rest []invoice
	for _, inv := range all {
		switch {
		case inv.State != "paid":
		case inv.Reference == fee:
			first = append(first, inv)
		default:
			rest = append(rest, inv)
		}
	}
	day := time.Now().In(wib).Format("2006-01-02")
	if len(first) > 0 {
		csv := statement(day, first, "BJB-"+strings.ReplaceAll(day, "-", "")+"-TRF-0091", 2_500_000)
		var report struct {
			ID string `json:"id"`
		}
		err := finance.post("/api/payment/v1/reconciliations", []byte(csv), &report, 201, "Content-Type", "text/csv")
		switch {
		case isStatus(err, 409): // this statement was reconciled by an earlier load
		case err != nil:
			return err
		default:
			l.logf("finance reconciles a statement: report %s", report.ID)
			s.Reconciled = report.ID
		}
	}
	if l.Statement == "" || len(rest) == 0 {
		return nil
	}
	csv := statement(day, rest, "", 0)
	if err := os.MkdirAll(filepath.Dir(l.Statement), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(l.Statement, []byte(csv), 0o644); err != nil {
		return err
	}
	s.Statement = l.Statement
	l.logf("a statement of %d payments to reconcile: %s", len(rest), l.Statement)
	return nil
}

// statement is a bank statement in the CSV payment reads: a line per
// invoice paid, and, when unknown is set, a credit of that reference and
// amount that no invoice matches.
func statement(day string, paid []invoice, unknown string, amount int64) string {
	sort.Slice(paid, func(i, j int) bool { return paid[i].BillingCode < paid[j].BillingCode })
	var b strings.Builder
	b.WriteString("value_date,billing_code,amount,bank_reference\n")
	for i, inv := range paid {
		fmt.Fprintf(&b, "%s,%s,%d,BJB-%s-%04d\n", day, inv.BillingCode, inv.Amount.Amount, strings.ReplaceAll(day, "-", ""), i+1)
	}
	if unknown != "" {
		// a well-formed code (prefix, Luhn digit) that no invoice has
		const body = "79999999999999"
		fmt.Fprintf(&b, "%s,%s%d,%d,%s\n", day, body, checkdigit.Luhn(body), amount, unknown)
	}
	return b.String()
}
