package engine

import (
	"context"

	"junction"
	"junction/connector"
)

// maxStalledUploadRequests bounds how many requests in a row a chunked
// upload may send without the API holding more of the file (the start,
// and the status queries, repeats and restarts of an interrupted upload):
// the one after them gives up.
const maxStalledUploadRequests = 5

// maxCommitPolls bounds how many times a commit answered 202 (the parts
// still being processed) is sent again, each after the answer's
// Retry-After.
const maxCommitPolls = 20

// upload sends a chunked upload request by request, each counted as one
// API call, until the API gives its final answer, which it returns with
// the request that got it.
//
// An interruption (no answer, a 5xx or 429) is resumed by the upload's
// own procedure (connector.Upload.Lost and Read), not by repeating the
// request blindly. A commit the API answers 202 while it processes the
// parts is sent again after the answer's Retry-After, up to
// maxCommitPolls times. An authentication failure re-fetches the credential
// (a new token, fresh vault values) and sends the same step again: an
// upload can outlast an access token, so the one recovery an execution
// may make is granted again once a step has gone through with it.
func (x *run) upload(ctx context.Context, up *connector.Upload) (connector.Response, *connector.Request, error) {
	stalled, held, polls := 0, up.Offset(), 0
	x.capabilities = up.Capabilities
	defer func() { x.capabilities = nil }()
	for {
		req, err := up.Next(x.creds)
		if err != nil {
			return connector.Response{}, req, err
		}
		resp, err := x.do(ctx, req)
		if err != nil {
			if !junction.IsCode(err, junction.EUNAVAILABLE) || ctx.Err() != nil || stalled >= maxStalledUploadRequests {
				return resp, req, err
			}
			stalled++
			up.Lost()
			continue
		}
		if x.def.IsAuthFailure(resp) {
			if err := x.recoverOnce(ctx, resp); err != nil {
				return resp, req, err
			}
			continue // Next builds the same step with the fresh credentials
		}
		status, err := up.Read(resp)
		switch {
		case err != nil:
			return resp, req, err
		case status == connector.UploadDone:
			return resp, req, nil
		case status == connector.UploadFailed:
			return resp, req, x.providerError(resp)
		case up.Processing():
			if polls++; polls > maxCommitPolls {
				return resp, req, junction.Errorf(junction.EUNAVAILABLE, "%s was still processing the upload after %d commits", x.def.DisplayName, polls)
			}
			if err := x.e.out.Wait(ctx, resp.Header, polls); err != nil {
				return resp, req, junction.Errorf(junction.EUNAVAILABLE, "upload abandoned while %s processed it: %v", x.def.DisplayName, err)
			}
			stalled = 0
			continue
		}
		if up.Offset() > held {
			stalled, held = 0, up.Offset()
			x.recovered = false
			continue
		}
		held = up.Offset()
		if stalled++; stalled > maxStalledUploadRequests {
			if resp.StatusCode >= 400 {
				return resp, req, x.providerError(resp)
			}
			return resp, req, junction.Errorf(junction.EPROVIDER, "%s took no more of the file in %d requests", x.def.DisplayName, stalled)
		}
	}
}
