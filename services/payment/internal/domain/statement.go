package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/plaintext"
)

// StatementHeader is the first line of a bank statement CSV.
var StatementHeader = []string{"value_date", "billing_code", "amount", "bank_reference"}

// MaxStatementLines bounds one upload.
const MaxStatementLines = 20000

// StatementLine is one credit on the bank or treasury statement.
type StatementLine struct {
	LineNo        int // the line in the file (the header is line 1)
	ValueDate     time.Time
	BillingCode   string
	Amount        int64
	BankReference string
}

// ParseStatement reads a statement CSV: a header line (StatementHeader),
// then one line per credit. Every malformed line is reported, by its line
// number, in one Invalid error; nothing is returned unless the whole file
// is good, so nothing is half-imported.
func ParseStatement(data []byte) ([]StatementLine, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil || !equalFold(header, StatementHeader) {
		return nil, apperr.InvalidFields("The statement must be CSV whose first line is "+strings.Join(StatementHeader, ","),
			apperr.Field("body.line[1]", "must be the header %s", strings.Join(StatementHeader, ",")))
	}
	var lines []StatementLine
	var fields []apperr.FieldError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			lineNo := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				lineNo = pe.Line
			}
			fields = append(fields, apperr.Field(fmt.Sprintf("body.line[%d]", lineNo), "is not valid CSV: %v", unwrapCSV(err)))
			continue
		}
		lineNo, _ := r.FieldPos(0)
		if len(lines)+len(fields) >= MaxStatementLines {
			return nil, apperr.New(apperr.TooLarge, "A statement may have at most %d lines; split it.", MaxStatementLines)
		}
		line, problems := parseStatementLine(lineNo, rec)
		if len(problems) > 0 {
			fields = append(fields, problems...)
			continue
		}
		lines = append(lines, line)
	}
	if len(fields) > 0 {
		return nil, apperr.InvalidFields(fmt.Sprintf("%d line(s) of the statement are malformed; nothing was imported. Fix them and upload the file again.", len(fields)), fields...)
	}
	if len(lines) == 0 {
		return nil, apperr.InvalidFields("The statement has no lines.", apperr.Field("body", "has only the header"))
	}
	return lines, nil
}

func unwrapCSV(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func equalFold(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(a[i], "\ufeff")), b[i]) {
			return false
		}
	}
	return true
}

func parseStatementLine(lineNo int, rec []string) (StatementLine, []apperr.FieldError) {
	at := func(col string) string { return fmt.Sprintf("body.line[%d].%s", lineNo, col) }
	if len(rec) != len(StatementHeader) {
		return StatementLine{}, []apperr.FieldError{apperr.Field(fmt.Sprintf("body.line[%d]", lineNo), "has %d fields, want %d", len(rec), len(StatementHeader))}
	}
	var problems []apperr.FieldError
	line := StatementLine{LineNo: lineNo}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(rec[0]))
	if err != nil {
		problems = append(problems, apperr.Field(at("value_date"), "must be a date YYYY-MM-DD"))
	}
	line.ValueDate = d
	code, err := ParseBillingCode(strings.TrimSpace(rec[1]), at("billing_code"))
	if err != nil {
		var ae *apperr.Error
		errors.As(err, &ae)
		problems = append(problems, ae.Fields...)
	}
	line.BillingCode = string(code)
	n, err := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
	if err != nil || n <= 0 || n > MaxInvoiceAmount {
		problems = append(problems, amountField(at("amount"), n))
	}
	line.Amount = n
	line.BankReference = strings.TrimSpace(rec[3])
	if l := len(line.BankReference); l == 0 || l > 100 {
		problems = append(problems, apperr.Field(at("bank_reference"), "must be 1 to 100 characters"))
	} else if msg := plaintext.Problem(line.BankReference, false); msg != "" {
		problems = append(problems, apperr.Field(at("bank_reference"), "%s", msg))
	}
	return line, problems
}
