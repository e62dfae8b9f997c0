// Command errordocs writes the error catalogue as Markdown (docs/errors.md),
// so that the page follows the codes' entries in errorcatalog.go.
package main

import (
	"bytes"
	"flag"
	"log"
	"os"

	"junction"
)

func main() {
	out := flag.String("o", "docs/errors.md", "file to write")
	flag.Parse()
	var b bytes.Buffer
	if err := junction.WriteErrorCatalog(&b); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
