package http

import (
	"testing"

	"gerbang/services/portal/internal/domain"
)

// TestEveryRuleOfEveryAccountFieldHasItsMessage: the keys failed builds
// from a field and a domain rule (accounts.error.<field>.<rule>) are in the
// catalogue, as are each form's labels.
func TestEveryRuleOfEveryAccountFieldHasItsMessage(t *testing.T) {
	cat, err := loadCatalogue(messageFS)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string][]string{
		"display_name":     {domain.RuleRequired, domain.RuleTooLong},
		"email":            {domain.RuleRequired, domain.RuleEmail},
		"phone":            {domain.RuleRequired, domain.RulePhone},
		"password":         {domain.RuleRequired, domain.RuleTooShort, domain.RulePasswordMax, domain.RuleTooWeak},
		"password_confirm": {domain.RuleRequired, domain.RuleMismatch},
		"current_password": {domain.RuleRequired, domain.RuleWrong},
	}
	for page, f := range accountForms {
		if !cat.has(f.title) {
			t.Errorf("%s: no title %q", page, f.title)
		}
		for _, field := range f.fields {
			if k := f.prefix + "." + field + ".label"; !cat.has(k) {
				t.Errorf("%s: no label %q", page, k)
			}
			if len(rules[field]) == 0 {
				t.Errorf("%s: field %s has no rules listed here", page, field)
			}
			for _, r := range rules[field] {
				if k := "accounts.error." + field + "." + r; !cat.has(k) {
					t.Errorf("%s: no message %q", page, k)
				}
			}
		}
	}
}
