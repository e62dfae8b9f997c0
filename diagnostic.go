package junction

// Outcomes of a diagnostic check.
const (
	CheckOK      = "ok"
	CheckWarning = "warning" // works, but something will bite later or cannot be verified from here
	CheckError   = "error"   // broken: Junction cannot do its job until it is fixed
)

// Check is the outcome of one diagnostic check (`junction doctor`, GET
// /api/v1/system/diagnostics): what was checked, how it went, and, unless
// it went well, what a person should do. Messages never hold a secret.
type Check struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	// Fix says what to do; empty when Status is ok.
	Fix string `json:"fix,omitempty"`
}
