package webui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"junction"
	"junction/connector"
)

// isExecutePath reports whether a POST goes to "try an activity", the
// one form that uploads files.
func isExecutePath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/connections/")
	return ok && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/execute")
}

// parseBody reads a multipart form before its CSRF token is checked, so
// that a body over the limit is answered as that, not as a stale form.
// Other forms are read as they always were, by PostFormValue. The whole
// body, which MaxBytesReader holds to bodyCap, stays in memory: files are
// never written to disk, as in an execution through the API.
func parseBody(r *http.Request, limit, bodyCap int64) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil
	}
	err := r.ParseMultipartForm(bodyCap)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return junction.Invalid("input", "the form is larger than the %s an execution may carry: send large files through the API", byteSize(limit))
	case err != nil && !errors.Is(err, io.EOF):
		return junction.Invalid("input", "the form could not be read: %s", err.Error())
	}
	return nil
}

// byteSize writes n in the largest whole unit that fits.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploadedFiles reads the files picked for a file input as the engine
// takes them: one *connector.File, or a list when the input takes
// several. budget is what the files of the execution may still weigh; it
// is spent as they are read. Nothing picked is left out (false).
func uploadedFiles(r *request, in activityInput, budget *int64, limit int64) (any, bool, error) {
	if r.MultipartForm == nil {
		return nil, false, nil
	}
	var files []any
	for _, fh := range r.MultipartForm.File["input."+in.Name] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // a picker left empty
		}
		if *budget -= fh.Size; *budget < 0 {
			return nil, false, junction.Invalid("input."+in.Name, "the files of one execution may be at most %s: send larger ones through the API", byteSize(limit))
		}
		f, err := fh.Open()
		if err != nil {
			return nil, false, fmt.Errorf("open the upload of %s: %w", in.Name, err)
		}
		b, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("read the upload of %s: %w", in.Name, err)
		}
		files = append(files, connector.UploadedFile(fh.Filename, fh.Header.Get("Content-Type"), b))
	}
	switch {
	case len(files) == 0:
		return nil, false, nil
	case in.Multiple:
		return files, true, nil
	case len(files) > 1:
		return nil, false, junction.Invalid("input."+in.Name, "takes one file")
	}
	return files[0], true, nil
}
