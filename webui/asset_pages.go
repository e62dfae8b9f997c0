package webui

import (
	"encoding/json"
	"net/http"
	"strings"

	"junction"
	"junction/app"
)

// assetEditData drives an asset's edit form. External tells an asset in
// an external store, whose value lives in the vault: its form points it
// at a secret there instead of taking a value.
type assetEditData struct {
	A        *app.AssetView
	Form     map[string]string
	External bool
	// Plain is the value of a text, integer or boolean asset, which is
	// no secret and is shown to be changed.
	Plain     bool
	Sensitive bool
}

// plainValue is a text, integer or boolean asset's value as its form
// shows it: its JSON without the quotes of a string.
func plainValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func (u *UI) editAsset(w http.ResponseWriter, r *request) error {
	return u.assetEditPage(w, r, false, nil)
}

// assetEditPage shows the form; after a refused edit it keeps what was
// typed, except secrets.
func (u *UI) assetEditPage(w http.ResponseWriter, r *request, edited bool, formErr error) error {
	a, err := u.app.GetAsset(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	folder, err := u.app.GetFolder(r.Context(), r.p, a.FolderID)
	if err != nil {
		return err
	}
	if !r.p.Access.Can(junction.PermAssetsEdit, folder) {
		// The form would only be refused: say so before it is filled in.
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: "this needs the " + string(junction.PermAssetsEdit) + " permission"}
	}
	d := assetEditData{A: a, External: a.ExternalName != "", Sensitive: a.Type.Sensitive(), Plain: !a.Type.Sensitive(),
		Form: map[string]string{"name": a.Name, "description": a.Description, "external_name": a.ExternalName,
			"allowed_hosts": strings.Join(a.AllowedHosts, "\n")}}
	if d.Plain {
		d.Form["value"] = plainValue(a.Value)
	}
	if edited {
		for _, k := range []string{"name", "description", "external_name", "allowed_hosts", "username"} {
			d.Form[k] = r.PostFormValue(k)
		}
		if d.Plain {
			d.Form["value"] = r.PostFormValue("value")
		}
	}
	return u.show(w, r, "asset_edit", "assets", "Edit "+a.Name, d, formErr)
}

func (u *UI) updateAsset(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	a, err := u.app.GetAsset(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	name, desc := r.PostFormValue("name"), r.PostFormValue("description")
	in := app.UpdateAssetInput{Name: &name, Description: &desc}
	switch {
	case !a.Type.Sensitive():
		v := junction.NewSecret(r.PostFormValue("value"))
		in.Value = &v
	case a.ExternalName != "":
		en := r.PostFormValue("external_name")
		in.ExternalName = &en
	default: // sealed in the database: an empty field keeps its value
		if v := r.PostFormValue("value"); v != "" && a.Type == junction.AssetSecret {
			s := junction.NewSecret(v)
			in.Value = &s
		}
		if v := r.PostFormValue("username"); v != "" && a.Type == junction.AssetCredential {
			in.Username = &v
		}
		if v := r.PostFormValue("password"); v != "" && a.Type == junction.AssetCredential {
			s := junction.NewSecret(v)
			in.Password = &s
		}
	}
	if a.Type.Sensitive() {
		hosts := hostLines(r.PostFormValue("allowed_hosts"))
		in.AllowedHosts = &hosts
	}
	if _, err := u.app.UpdateAsset(r.Context(), r.p, id, in); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.assetEditPage(w, r, true, err)
	}
	return redirect(w, r, "/assets", "Asset "+strings.TrimSpace(name)+" saved.")
}

func (u *UI) deleteAssetPage(w http.ResponseWriter, r *request) error {
	a, err := u.app.GetAsset(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	what := "The asset and the value Junction holds for it are deleted. Connections that refer to it stop working."
	if a.ExternalName != "" {
		what = "The asset is deleted. Unless the store is read-only or another asset refers to it, its secret " +
			a.ExternalName + " is deleted from the vault too. Connections that refer to it stop working."
	}
	return u.show(w, r, "confirm", "assets", "Delete "+a.Name+"?", confirmData{
		Action: "/assets/" + a.ID + "/delete", Back: "/assets", Button: "Delete the asset", What: what}, nil)
}

func (u *UI) deleteAsset(w http.ResponseWriter, r *request) error {
	if err := u.app.DeleteAsset(r.Context(), r.p, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/assets", "Asset deleted.")
}

// assetsAllowed tells, per asset ID, whether the caller holds perm on
// the asset's folder.
func assetsAllowed(p *junction.Principal, perm junction.Permission, assets []*app.AssetView, folders []*junction.Folder) map[string]bool {
	byID := map[string]*junction.Folder{}
	for _, f := range folders {
		byID[f.ID] = f
	}
	out := map[string]bool{}
	for _, a := range assets {
		out[a.ID] = p.Access.Can(perm, byID[a.FolderID])
	}
	return out
}
