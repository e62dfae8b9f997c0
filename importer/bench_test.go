package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"junction/importer"
)

// BenchmarkImportLargest imports the largest description of the corpus.
func BenchmarkImportLargest(b *testing.B) { benchmarkImport(b, 1<<62) }

// BenchmarkImportTwoMegabytes imports the largest description of at most
// 2 MB, the size the requirement names ("well under a second").
func BenchmarkImportTwoMegabytes(b *testing.B) { benchmarkImport(b, 2_000_000) }

// benchmarkImport imports the largest description of the corpus that is
// at most max bytes.
func benchmarkImport(b *testing.B, max int64) {
	var largest string
	var size int64
	for _, e := range readManifest(b) {
		if fi, err := os.Stat(filepath.Join(specsDir(), e.file)); err == nil && fi.Size() > size && fi.Size() <= max {
			largest, size = e.file, fi.Size()
		}
	}
	content, err := os.ReadFile(filepath.Join(specsDir(), largest))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, %d bytes", largest, size)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := importer.Import(content, importer.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
