package domain

import (
	"slices"
	"strings"

	"gerbang/pkg/apperr"
)

// Actor is who takes a move of a payment machine: the payment gateway (a
// confirmed payment), a finance officer, or the service by itself (the
// clock, the payout, the rules that follow a tender's award).
type Actor string

const (
	ActorGateway Actor = "gateway"
	ActorFinance Actor = "finance"
	ActorSystem  Actor = "system"
)

// AllActors lists every actor.
func AllActors() []Actor { return []Actor{ActorGateway, ActorFinance, ActorSystem} }

// Transition is one row of a machine: action, from any of From, by Actor,
// to To. Every machine of the service (invoice, refund, bid security) is a
// table of these rows; what is not in the table is refused.
type Transition[S ~string, A ~string] struct {
	Action A
	From   []S
	To     S
	Actor  Actor
}

// next returns the state that action by actor leads to from current in
// machine. An action the machine does not start from current is a
// Conflict carrying current_state; one that starts there but belongs to
// another actor is Forbidden; an action not in the table is Invalid.
func next[S ~string, A ~string](what string, machine []Transition[S, A], current S, action A, by Actor) (S, error) {
	known := false
	for _, t := range machine {
		if t.Action != action {
			continue
		}
		known = true
		if !slices.Contains(t.From, current) {
			continue
		}
		if t.Actor != by {
			return "", apperr.New(apperr.Forbidden, "Only the %s may %s %s.", t.Actor, words(action), what).
				With("current_state", string(current))
		}
		return t.To, nil
	}
	if !known {
		return "", apperr.New(apperr.Invalid, "unknown action %q", action)
	}
	return "", apperr.New(apperr.Conflict, "%s in state %s cannot %s.", capital(what), current, words(action)).
		With("current_state", string(current))
}

// fromStates returns the states action starts from, read from machine.
func fromStates[S ~string, A ~string](machine []Transition[S, A], action A) []S {
	var out []S
	for _, t := range machine {
		if t.Action == action {
			out = append(out, t.From...)
		}
	}
	return out
}

// terminal reports whether no move of machine leaves s.
func terminal[S ~string, A ~string](machine []Transition[S, A], s S) bool {
	for _, t := range machine {
		if slices.Contains(t.From, s) {
			return false
		}
	}
	return true
}

func words[A ~string](a A) string { return strings.ReplaceAll(string(a), "_", " ") }

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
