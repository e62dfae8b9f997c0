package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"

	"junction"
)

// maxFileBytes bounds a file sent as an activity's input. The server's
// request body limit (1 MiB unless configured) is usually the tighter
// bound; this one keeps the CLI from reading a disk image into memory.
const maxFileBytes = 64 << 20

// fileInput reads the file at path as an input of type file: its content
// in base64, its base name and a content type guessed from its extension.
func fileInput(flag, path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, junction.Invalid(flag, "read file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, junction.Invalid(flag, "read file: %v", err)
	}
	if len(b) > maxFileBytes {
		return nil, junction.Errorf(junction.ETOOLARGE, "%s is larger than %d bytes", filepath.Base(path), maxFileBytes)
	}
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return map[string]any{
		"content":      base64.StdEncoding.EncodeToString(b),
		"filename":     filepath.Base(path),
		"content_type": ct,
	}, nil
}

// withFiles adds --file NAME=PATH inputs to the --input object.
func withFiles(input json.RawMessage, files []string) (map[string]any, error) {
	in := map[string]any{}
	if len(input) > 0 {
		if err := json.Unmarshal(input, &in); err != nil || in == nil {
			return nil, junction.Invalid("input", "must be a JSON object to add --file inputs to")
		}
	}
	err := keyValues(in, "file", files, func(_, path string) (any, error) { return fileInput("file", path) })
	if err != nil {
		return nil, err
	}
	return in, nil
}

// fileOutput is an activity's output when it is a file.
type fileOutput struct {
	Filename    string  `json:"filename"`
	ContentType string  `json:"content_type"`
	Size        int     `json:"size"`
	Content     *string `json:"content"`
}

// saveFile writes a file output's content to path ("-" for standard
// output) and returns a line describing it.
func (c *CLI) saveFile(output json.RawMessage, path string) (string, error) {
	var f fileOutput
	if err := json.Unmarshal(output, &f); err != nil || f.Content == nil {
		return "", junction.Invalid("save", "the activity's output is not a file")
	}
	b, err := base64.StdEncoding.DecodeString(*f.Content)
	if err != nil {
		return "", fmt.Errorf("decode the file's content: %w", err)
	}
	if path == "-" {
		_, err := c.env.Stdout.Write(b)
		return "", err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", junction.Invalid("save", "write file: %v", err)
	}
	name := f.Filename
	if name == "" {
		name = "file"
	}
	return fmt.Sprintf("saved %s (%s, %d bytes) to %s", name, f.ContentType, len(b), path), nil
}
