package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"junction/importer"
)

// BenchmarkImportLargest imports the largest description of the corpus.
func BenchmarkImportLargest(b *testing.B) {
	var largest string
	var size int64
	for _, e := range readManifest(b) {
		if fi, err := os.Stat(filepath.Join(specsDir(), e.file)); err == nil && fi.Size() > size {
			largest, size = e.file, fi.Size()
		}
	}
	content, err := os.ReadFile(filepath.Join(specsDir(), largest))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := importer.Import(content, importer.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
