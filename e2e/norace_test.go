//go:build !race

package e2e

// raceEnabled says the tests run with the race detector, and so are the
// services they build.
const raceEnabled = false
