// Package static holds Tack's stylesheets and scripts, embedded into the binary.
package static

import "embed"

// FS holds the files served under /static/.
//
//go:embed css js vendor
var FS embed.FS
