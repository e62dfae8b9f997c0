//go:build !race

package mailtest

const raceDetector = false
