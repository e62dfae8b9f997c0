// The trigger filter editor: checks the filter as it is typed against the
// chosen event, and shows the problem or the record's fields under it.
// Without this script the form still works; the filter is checked on save.
"use strict";
(function () {
  var field = document.getElementById("trigger-filter");
  var out = document.getElementById("filter-check");
  if (!field || !out || !field.form || !field.dataset.checkUrl) {
    return;
  }
  var form = field.form;
  var timer = 0;
  var sent = 0; // answers to older requests than the last are dropped

  function value(name) {
    var el = form.elements.namedItem(name);
    return el && "value" in el ? el.value : "";
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) {
      e.setAttribute(k, attrs[k]);
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function code(text) {
    return el("code", {}, text);
  }

  // show puts a check's answer under the field. It stands for any
  // problem the server showed when the form was last saved, which the
  // filter may no longer have.
  function show(nodes) {
    var stale = document.getElementById("filter-error");
    if (stale) {
      stale.remove();
    }
    out.replaceChildren.apply(out, nodes);
  }

  function showProblem(message, codeText) {
    var p = el("p", { "class": "error", id: "filter-check-problem" }, message + " ");
    if (codeText) {
      p.appendChild(code(codeText));
    }
    show([p]);
  }

  function showValid(answer) {
    var p = el("p", { "class": "valid", id: "filter-check-valid" }, field.value.trim() === "" ? "Valid: every event matches." : "Valid.");
    var fields = answer.fields || [];
    if (fields.length > 0) {
      p.appendChild(document.createTextNode(" Fields of the record:"));
      fields.forEach(function (f) {
        p.appendChild(document.createTextNode(" "));
        p.appendChild(code("record." + f.name));
        p.appendChild(document.createTextNode(" (" + f.type + ")"));
      });
      p.appendChild(document.createTextNode("."));
    }
    var nodes = [p];
    var undeclared = answer.undeclared || [];
    if (undeclared.length > 0) {
      var w = el("p", { "class": "hint", id: "filter-check-undeclared" },
        "The connector does not declare ");
      undeclared.forEach(function (name, i) {
        if (i > 0) {
          w.appendChild(document.createTextNode(", "));
        }
        w.appendChild(code("record." + name));
      });
      w.appendChild(document.createTextNode(": a record without it does not match (guard it with has())."));
      nodes.push(w);
    }
    // Types that differ from the declared ones are warned of, not
    // refused: the filter is saved as written.
    var mismatched = answer.mismatched || [];
    if (mismatched.length > 0) {
      var m = el("div", { "class": "warning", id: "filter-check-mismatched" });
      m.appendChild(el("p", {}, "Saved as written, but not of the types the connector declares:"));
      var list = el("ul", {});
      mismatched.forEach(function (x) {
        list.appendChild(el("li", {}, x.message));
      });
      m.appendChild(list);
      nodes.push(m);
    }
    show(nodes);
  }

  function check() {
    var n = ++sent;
    var body = new URLSearchParams();
    ["csrf", "connection_id", "event", "filter"].forEach(function (name) {
      body.set(name, value(name));
    });
    out.setAttribute("aria-busy", "true");
    fetch(field.dataset.checkUrl, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) {
          throw new Error("status " + resp.status);
        }
        return resp.json();
      })
      .then(function (answer) {
        if (n !== sent) {
          return;
        }
        if (answer.valid) {
          showValid(answer);
        } else {
          showProblem(answer.message, answer.code);
        }
      })
      .catch(function () {
        if (n === sent) {
          showProblem("The filter could not be checked now (reload the page if this lasts); it is checked again when you save.", "");
        }
      })
      .finally(function () {
        if (n === sent) {
          out.removeAttribute("aria-busy");
        }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  field.addEventListener("input", later);
  var event = form.elements.namedItem("event");
  if (event) {
    event.addEventListener("change", check);
  }
  var hint = document.getElementById("filter-help-when");
  if (hint) {
    hint.textContent = "Checked as you type.";
  }
  check();
})();
