/* Progressive enhancement only: every page works without this file.
   - the error summary takes focus, and its links focus the field they name;
   - the commune list follows the chosen province (no "update" button press needed);
   - fields with a condition (visible_if) show and hide as answers change. */
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

  function init() {
    initErrorSummary();
    initAddresses();
    initConditions();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
