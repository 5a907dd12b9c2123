package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gerbang/pkg/apperr"
)

func TestStatementParsesWhenEveryLineIsGood(t *testing.T) {
	a, b := mustCode(t), mustCode(t)
	csv := fmt.Sprintf("value_date,billing_code,amount,bank_reference\n2026-11-25,%s,1500000,BNI-1\n2026-11-25, %s ,250000,\"BNI,2\"\n", a, b)
	lines, err := ParseStatement([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].LineNo != 2 || lines[1].BillingCode != string(b) || lines[1].BankReference != "BNI,2" || lines[0].Amount != 1500000 {
		t.Fatalf("%+v", lines)
	}
}

func TestMalformedStatementLinesAreReportedByLineNumber(t *testing.T) {
	good := mustCode(t)
	csv := strings.Join([]string{
		"value_date,billing_code,amount,bank_reference",
		"2026-11-25," + string(good) + ",100,REF-1", // 2: good
		"25/11/2026," + string(good) + ",100,REF-2", // 3: date
		"2026-11-25,123,100,REF-3",                  // 4: code
		"2026-11-25," + string(good) + ",-5,REF-4",  // 5: amount
		"2026-11-25," + string(good) + ",1.5,",      // 6: amount and reference
		"2026-11-25," + string(good) + ",100",       // 7: fields
	}, "\n")
	_, err := ParseStatement([]byte(csv))
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		t.Fatalf("got %v", err)
	}
	got := map[string]bool{}
	for _, f := range ae.Fields {
		got[f.Field] = true
	}
	for _, want := range []string{"body.line[3].value_date", "body.line[4].billing_code", "body.line[5].amount",
		"body.line[6].amount", "body.line[6].bank_reference", "body.line[7]"} {
		if !got[want] {
			t.Errorf("no problem reported at %s (got %v)", want, ae.Fields)
		}
	}
	if got["body.line[2]"] || len(ae.Fields) != 6 {
		t.Errorf("fields %v", ae.Fields)
	}
}

func TestStatementWithoutHeaderOrLinesIsRefused(t *testing.T) {
	for name, csv := range map[string]string{
		"empty":       "",
		"no header":   "2026-11-25,712345678901238,100,REF",
		"header only": "value_date,billing_code,amount,bank_reference\n",
		"bad quoting": "value_date,billing_code,amount,bank_reference\n2026-11-25,\"7123,100,REF\n",
	} {
		if _, err := ParseStatement([]byte(csv)); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
