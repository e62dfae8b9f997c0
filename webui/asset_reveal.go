package webui

import (
	"net/http"

	"junction"
	"junction/app"
)

// revealData is the asset a reveal page is about, and, once confirmed,
// its value.
type revealData struct {
	Asset *app.AssetView
	// Shown is set on the answer to the confirmation only: the value is
	// in that response's body and nowhere else (no URL, no cache).
	Shown    bool
	Username string
	Value    string
}

// revealPage asks for confirmation: resolving is audited, and the value
// is shown once.
func (u *UI) revealPage(w http.ResponseWriter, r *request) error {
	a, err := u.app.GetAsset(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return u.show(w, r, "asset_reveal", "assets", "Reveal "+a.Name+"?", revealData{Asset: a}, nil)
}

// revealAsset resolves the asset with the caller's Assets.Resolve, which
// the app audits, and shows the value on this response only.
func (u *UI) revealAsset(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	a, err := u.app.GetAsset(ctx, r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := u.app.ResolveAsset(ctx, r.p, a.ID, false)
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.show(w, r, "asset_reveal", "assets", "Reveal "+a.Name+"?", revealData{Asset: a}, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return u.show(w, r, "asset_reveal", "assets", a.Name, revealData{Asset: a, Shown: true,
		Username: res.Username, Value: res.Value.Reveal()}, nil)
}

// resolvableAssets tells, per asset ID, whether the caller may reveal it:
// Assets.Resolve on its folder.
func resolvableAssets(p *junction.Principal, assets []*app.AssetView, folders []*junction.Folder) map[string]bool {
	return assetsAllowed(p, junction.PermAssetsResolve, assets, folders)
}
