//go:build race

package mailtest

// raceDetector reports that this binary was built with -race: Mailpit's
// own storage writes a package variable from its SMTP and HTTP goroutines
// without a lock, which the detector reports against whichever test is
// running, so the tests that need Mailpit run in a build without it
// (.ci/run runs them so).
const raceDetector = true
