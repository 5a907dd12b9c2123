package domain

import (
	"slices"
	"testing"
)

// The states the database is asked for are the machine's, and this test
// names them independently: a state added to or removed from a rule fails
// here, and app's TestTheDatabaseSelectsTheStatesTheDomainNames shows the
// SQL takes the same ones.
func TestTheReviewQueueAndDeemedApprovalStatesAreTheMachines(t *testing.T) {
	for _, tc := range []struct {
		state             State
		inQueue, deemable bool
	}{
		{StateDraft, false, false},
		{StateSubmitted, true, true},
		{StateInReview, true, true},
		{StateRevisionRequested, true, false}, // the SLA is paused: never deemed approved while the applicant revises
		{StateApproved, false, false},
		{StateAwaitingPayment, false, false},
		{StateIssued, false, false},
		{StateRejected, false, false},
		{StateWithdrawn, false, false},
		{StateDeemedApproved, false, false},
	} {
		if got := slices.Contains(ReviewQueueStates(), tc.state); got != tc.inQueue {
			t.Errorf("%s in the review queue: %v, want %v", tc.state, got, tc.inQueue)
		}
		if got := slices.Contains(DeemableStates(), tc.state); got != tc.deemable {
			t.Errorf("%s deemable: %v, want %v", tc.state, got, tc.deemable)
		}
	}
	if len(States()) != 10 {
		t.Fatalf("%d states; this table names 10", len(States()))
	}
}

func TestTheExpiryAndReminderStatusesAreTheLicenseMachines(t *testing.T) {
	for _, tc := range []struct {
		status                      LicenseStatus
		expirable, remindable, used bool
	}{
		{LicenseActive, true, true, true},
		{LicenseSuspended, true, false, false},
		{LicenseRevoked, false, false, false},
		{LicenseExpired, false, false, false},
	} {
		if got := slices.Contains(ExpirableStatuses(), tc.status); got != tc.expirable {
			t.Errorf("%s expirable: %v, want %v", tc.status, got, tc.expirable)
		}
		if got := slices.Contains(RemindableStatuses(), tc.status); got != tc.remindable {
			t.Errorf("%s remindable: %v, want %v", tc.status, got, tc.remindable)
		}
		if got := tc.status.InForce(); got != tc.used {
			t.Errorf("%s in force: %v, want %v", tc.status, got, tc.used)
		}
	}
}

func TestOnlyTheSystemExpiresALicenseAndOnlyOfficersChangeOne(t *testing.T) {
	want := map[LicenseAction]Actor{LicenseSuspend: ActorOfficer, LicenseReinstate: ActorOfficer, LicenseRevoke: ActorOfficer, LicenseExpire: ActorSystem}
	got := map[LicenseAction]Actor{}
	for _, tr := range LicenseTransitions() {
		got[tr.Action] = tr.Actor
	}
	for a, actor := range want {
		if got[a] != actor {
			t.Errorf("%s by %q, want %q", a, got[a], actor)
		}
	}
	if len(got) != len(want) {
		t.Errorf("license actions %v, want %v", got, want)
	}
}
