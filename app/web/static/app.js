/* Progressive enhancement only: every page works without this file.
   - the error summary takes focus, and its links focus the field they name;
   - the commune list follows the chosen province (no "update" button press needed);
   - fields with a condition (visible_if) show and hide as answers change;
   - files chosen on a draft's page go up at once by the resumable upload API (tus-upload.js),
     with a progress bar, and the page's list of files is refreshed;
   - a "copy" button next to a dossier's code. */
(function () {
  "use strict";

  /* Error summary ------------------------------------------------------------------------ */
  function focusField(id) {
    var input = document.getElementById(id);
    if (!input) return false;
    var holder = input.closest(".form-group, fieldset");
    var legend = holder && holder.querySelector("legend, label");
    input.focus({ preventScroll: true });
    (legend || input).scrollIntoView();
    return true;
  }

  function initErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      if (focusField(link.getAttribute("href").slice(1))) {
        event.preventDefault();
        history.replaceState(null, "", link.getAttribute("href"));
      }
    });
  }

  /* Communes of the chosen province ------------------------------------------------------ */
  function initAddresses() {
    var selects = document.querySelectorAll("select.js-province");
    Array.prototype.forEach.call(selects, function (province) {
      province.addEventListener("change", function () {
        var commune = document.getElementById(province.getAttribute("data-communes"));
        if (!commune) return;
        var placeholder = commune.options[0];
        commune.length = 1;
        if (!province.value) return;
        commune.disabled = true;
        fetch("/dia-gioi/" + encodeURIComponent(province.value) + "/xa", {
          headers: { Accept: "application/json" }
        })
          .then(function (response) { return response.ok ? response.json() : { communes: [] }; })
          .then(function (data) {
            data.communes.forEach(function (unit) {
              commune.add(new Option(unit.name, unit.code));
            });
            placeholder.textContent = commune.getAttribute("data-placeholder") || placeholder.textContent;
          })
          .catch(function () { /* the refresh button still works */ })
          .then(function () { commune.disabled = false; });
      });
    });
  }

  /* Conditional fields: a small JSON Logic subset; anything else stays shown --------------- */
  function truthy(value) {
    if (Array.isArray(value)) return value.length > 0;
    return !!value;
  }

  function evaluate(logic, read) {
    if (logic === null || typeof logic !== "object") return logic;
    if (Array.isArray(logic)) return logic.map(function (x) { return evaluate(x, read); });
    var op = Object.keys(logic)[0];
    var raw = logic[op];
    var args = Array.isArray(raw) ? raw : [raw];
    if (op === "var") {
      var found = read(evaluate(args[0], read));
      return found === null && args.length > 1 ? evaluate(args[1], read) : found;
    }
    if (op === "and") {
      var last = true;
      for (var i = 0; i < args.length; i++) { last = evaluate(args[i], read); if (!truthy(last)) return last; }
      return last;
    }
    if (op === "or") {
      var value = false;
      for (var j = 0; j < args.length; j++) { value = evaluate(args[j], read); if (truthy(value)) return value; }
      return value;
    }
    var v = args.map(function (x) { return evaluate(x, read); });
    switch (op) {
      case "==": return v[0] == v[1]; // eslint-disable-line eqeqeq
      case "===": return v[0] === v[1];
      case "!=": return v[0] != v[1]; // eslint-disable-line eqeqeq
      case "!==": return v[0] !== v[1];
      case "!": return !truthy(v[0]);
      case "!!": return truthy(v[0]);
      case ">": return v[0] !== null && v[1] !== null && Number(v[0]) > Number(v[1]);
      case ">=": return v[0] !== null && v[1] !== null && Number(v[0]) >= Number(v[1]);
      case "<": return v[0] !== null && v[1] !== null && Number(v[0]) < Number(v[1]);
      case "<=": return v[0] !== null && v[1] !== null && Number(v[0]) <= Number(v[1]);
      case "in":
        if (Array.isArray(v[1])) return v[1].indexOf(v[0]) !== -1;
        return typeof v[1] === "string" && v[1].indexOf(v[0]) !== -1;
      case "if": case "?:":
        for (var k = 0; k + 1 < v.length; k += 2) { if (truthy(v[k])) return v[k + 1]; }
        return v.length % 2 ? v[v.length - 1] : null;
      default: throw new Error("unsupported");
    }
  }

  function valueOf(form, name) {
    var controls = form.querySelectorAll("[name]");
    var values = [];
    var multiple = false;
    var seen = false;
    Array.prototype.forEach.call(controls, function (control) {
      if (control.name !== name) return;
      seen = true;
      var holder = control.closest("[data-visible-if]");
      if (holder && holder.hidden) return;
      if (control.type === "checkbox") { multiple = true; if (control.checked) values.push(control.value); return; }
      if (control.type === "radio") { if (control.checked) values.push(control.value); return; }
      if (control.type === "file") return;
      if (control.value.trim() === "") return;
      var text = control.value.trim();
      if (control.hasAttribute("data-number") && /^-?\d+([.,]\d+)?$/.test(text)) {
        values.push(Number(text.replace(",", ".")));
      } else {
        values.push(text);
      }
    });
    if (!seen) return undefined;
    if (multiple) return values;
    return values.length ? values[values.length - 1] : null;
  }

  function initConditions() {
    var form = document.querySelector("[data-app-form]");
    if (!form) return;
    var holders = form.querySelectorAll("[data-visible-if]");
    if (!holders.length) return;
    function update() {
      // Twice, so a field shown by another conditional field settles.
      for (var pass = 0; pass < 3; pass++) {
        Array.prototype.forEach.call(holders, function (holder) {
          var logic;
          try { logic = JSON.parse(holder.getAttribute("data-visible-if")); } catch (e) { return; }
          var item = holder.parentElement.closest("[data-scope]");
          var scope = item ? item.getAttribute("data-scope") : "";
          var read = function (name) {
            if (typeof name !== "string") return null;
            var found = scope ? valueOf(form, scope + name) : undefined;
            if (found === undefined) found = valueOf(form, name);
            return found === undefined ? null : found;
          };
          var show = true;
          try { show = truthy(evaluate(logic, read)); } catch (e) { show = true; }
          holder.hidden = !show;
        });
      }
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  /* Files uploaded as soon as they are chosen ------------------------------------------- */
  var CHUNK_SIZE = 5 * 1024 * 1024;

  function refreshFileList(input) {
    // The page again, for its list of this slot's files; what is typed elsewhere stays.
    return fetch(location.pathname + location.search, {
      credentials: "same-origin",
      headers: { Accept: "text/html" }
    })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(input.id + "-files");
        var current = document.getElementById(input.id + "-files");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      });
  }

  function uploadRow(status, file) {
    var row = document.createElement("p");
    row.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var percent = document.createElement("span");
    percent.className = "upload-percent";
    percent.textContent = "0%";
    row.appendChild(name);
    row.appendChild(bar);
    row.appendChild(percent);
    status.appendChild(row);
    return {
      row: row,
      show: function (sent, total) {
        var value = total ? Math.floor((sent * 100) / total) : 100;
        bar.value = value;
        percent.textContent = value + "%";
      }
    };
  }

  function uploadChosen(form, input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var status = document.getElementById(input.id + "-upload");
    status.textContent = "";
    status.hidden = false;
    input.disabled = true;
    var chain = Promise.resolve();
    files.forEach(function (file) {
      var progress = uploadRow(status, file);
      chain = chain.then(function () {
        return window.MotcuaTus.upload(file, {
          endpoint: form.getAttribute("data-upload-endpoint"),
          metadata: {
            dossier: form.getAttribute("data-dossier"),
            slot: input.getAttribute("data-upload-slot"),
            filename: file.name
          },
          chunkSize: CHUNK_SIZE,
          onProgress: progress.show
        }).then(function () {
          progress.show(1, 1);
        }, function (error) {
          var message = document.createElement("span");
          message.className = "error-message";
          message.textContent = file.name + ": " + ((error && error.message) || "");
          progress.row.appendChild(message);
          progress.row.classList.add("upload-failed");
        });
      });
    });
    chain
      .then(function () { return refreshFileList(input); })
      .catch(function () { /* the list shows again on the next page load */ })
      .then(function () {
        input.value = "";
        input.disabled = false;
      });
  }

  function initUploads() {
    var form = document.querySelector("form[data-dossier]");
    if (!form || !window.MotcuaTus || !window.fetch || !window.DOMParser) return;
    var inputs = form.querySelectorAll("input[type='file'][data-upload-slot]");
    Array.prototype.forEach.call(inputs, function (input) {
      var button = form.querySelector("[data-upload-button='" + input.id + "']");
      if (button) button.hidden = true;
      input.addEventListener("change", function () { uploadChosen(form, input); });
    });
  }

  /* Copy a dossier's code -------------------------------------------------------------- */
  function initCopyButtons() {
    if (!navigator.clipboard) return;
    var buttons = document.querySelectorAll("[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied");
        });
      });
    });
  }

  function init() {
    initErrorSummary();
    initAddresses();
    initConditions();
    initUploads();
    initCopyButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
