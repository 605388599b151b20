// The report page's conditions, evaluated as the shopper answers: a question whose condition
// does not hold is hidden (and its answer not sent), one whose condition comes to hold appears,
// and the list of what is still missing follows. The service parses each condition into a
// bounded tree (src/reports/expr.rs, `Expr::to_json`) and puts it on the question as data;
// this script only walks that tree, by the same rules as the service's evaluator; both run
// the same hand-worked cases (tests/fixtures/expr_cases.json). Nothing here is executed as
// code, and the service decides again on every save.
(function () {
  "use strict";

  // Values: a boolean, a number, a text, or a list of the choices ticked (XLSForm's).
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function number(v) {
    if (typeof v === "boolean") {
      return v ? 1 : 0;
    }
    if (typeof v === "number") {
      return v;
    }
    if (typeof v === "string") {
      var t = v.trim();
      if (NUMBER.test(t)) {
        var n = parseFloat(t);
        return isFinite(n) ? n : null;
      }
    }
    return null;
  }

  // A number written as the service writes it: whole numbers without a point, and never in
  // exponent form.
  function numberText(n) {
    if (isNaN(n)) {
      return "NaN";
    }
    if (!isFinite(n)) {
      return n > 0 ? "inf" : "-inf";
    }
    var s = String(n);
    var e = s.indexOf("e");
    if (e === -1) {
      return s;
    }
    var sign = s.charAt(0) === "-" ? "-" : "";
    var mantissa = s.slice(sign.length, e);
    var exponent = parseInt(s.slice(e + 1), 10);
    var point = mantissa.indexOf(".");
    var digits = mantissa.replace(".", "");
    var at = (point === -1 ? mantissa.length : point) + exponent;
    if (at <= 0) {
      return sign + "0." + "0".repeat(-at) + digits;
    }
    if (at >= digits.length) {
      return sign + digits + "0".repeat(at - digits.length);
    }
    return sign + digits.slice(0, at) + "." + digits.slice(at);
  }

  function text(v) {
    if (typeof v === "boolean") {
      return v ? "true" : "false";
    }
    if (typeof v === "number") {
      return numberText(v);
    }
    if (Array.isArray(v)) {
      return v.join(" ");
    }
    return v;
  }

  function truthy(v) {
    if (typeof v === "number") {
      return v !== 0 && !isNaN(v);
    }
    if (Array.isArray(v)) {
      return v.length > 0;
    }
    return typeof v === "boolean" ? v : v.length > 0;
  }

  function words(v) {
    return Array.isArray(v) ? v : text(v).split(/\s+/).filter(function (w) { return w !== ""; });
  }

  // Texts in the order of their characters' code points, as the service orders them.
  function order(x, y) {
    var a = Array.from(x);
    var b = Array.from(y);
    for (var i = 0; i < Math.min(a.length, b.length); i++) {
      var d = a[i].codePointAt(0) - b[i].codePointAt(0);
      if (d !== 0) {
        return d;
      }
    }
    return a.length - b.length;
  }

  function compare(a, op, b) {
    var x = number(a);
    var y = number(b);
    if (x !== null && y !== null) {
      switch (op) {
        case "=": return x === y;
        case "!=": return x !== y;
        case "<": return x < y;
        case "<=": return x <= y;
        case ">": return x > y;
        default: return x >= y;
      }
    }
    var s = text(a);
    var t = text(b);
    if (op === "=") {
      return s === t;
    }
    if (op === "!=") {
      return s !== t;
    }
    if (s === "" || t === "") {
      return false;
    }
    var d = order(s, t);
    switch (op) {
      case "<": return d < 0;
      case "<=": return d <= 0;
      case ">": return d > 0;
      default: return d >= 0;
    }
  }

  function arith(x, op, y) {
    switch (op) {
      case "+": return x + y;
      case "-": return x - y;
      case "*": return x * y;
      case "div": return x / y;
      default: return x % y;
    }
  }

  function orNaN(n) {
    return n === null ? NaN : n;
  }

  // The value of `node`, reading answers through `answer(name)` and `.` as `current`.
  function evaluate(node, answer, current) {
    var e = function (child) { return evaluate(child, answer, current); };
    switch (node[0]) {
      case "num": return node[1];
      case "text": return node[1];
      case "bool": return node[1];
      case "ans": return answer(node[1]);
      case "cur": return current;
      case "not": return !truthy(e(node[1]));
      case "neg": return -orNaN(number(e(node[1])));
      case "and": return truthy(e(node[1])) && truthy(e(node[2]));
      case "or": return truthy(e(node[1])) || truthy(e(node[2]));
      case "cmp": return compare(e(node[2]), node[1], e(node[3]));
      case "arith": return arith(orNaN(number(e(node[2]))), node[1], orNaN(number(e(node[3]))));
      case "selected": return words(e(node[1])).indexOf(text(e(node[2]))) !== -1;
      case "count-selected": return words(e(node[1])).length;
      case "string-length": return Array.from(text(e(node[1]))).length;
      default: throw new Error("unknown node " + node[0]);
    }
  }

  function holds(node, answer, current) {
    return truthy(evaluate(node, answer, current === undefined ? "" : current));
  }

  // For the browser test, which runs the shared cases through this evaluator.
  window.IncognitoConditions = { evaluate: evaluate, holds: holds };

  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  var questions = Array.prototype.slice.call(form.querySelectorAll(".question[data-name]"));

  // A question's answer as the service reads it; unanswered is the empty text.
  function answerOf(q) {
    var kind = q.getAttribute("data-kind");
    var field = "q." + q.getAttribute("data-name");
    if (kind === "multiple") {
      var prefix = field + ".";
      return Array.prototype.slice.call(q.querySelectorAll("input[type=checkbox]:checked"))
        .map(function (box) { return box.name.slice(prefix.length); });
    }
    if (kind === "media") {
      return Array.prototype.slice.call(q.querySelectorAll("ul.files li"))
        .map(function (item, i) { return item.getAttribute("data-media") || "new-" + i; });
    }
    if (kind === "yes_no" || kind === "choice" || kind === "rating") {
      var checked = q.querySelector("input[type=radio]:checked");
      if (!checked) {
        return "";
      }
      return kind === "rating" && checked.value !== "n/a" ? Number(checked.value) : checked.value;
    }
    var input = q.querySelector("input, textarea");
    var value = input ? input.value : "";
    if (value.trim() === "") {
      return "";
    }
    if (kind === "number") {
      var n = number(value);
      return n === null ? value : n;
    }
    return kind === "text" ? value : value.trim();
  }

  var trees = new Map();
  questions.forEach(function (q) {
    var when = q.getAttribute("data-when");
    if (when) {
      trees.set(q, JSON.parse(when));
    }
  });

  var missing = document.getElementById("missing");

  function filled(name) {
    var input = form.elements.namedItem(name);
    return input && input.value.trim() !== "";
  }

  // In order, each condition reads the answers of the questions before it; a question not
  // asked reads as unanswered.
  function refresh() {
    var asked = new Map();
    var still = [];
    var day = filled("visit_date");
    if (!day || !filled("visit_in")) {
      still.push("When you went in");
    }
    if (!day || !filled("visit_out")) {
      still.push("When you came out");
    }
    questions.forEach(function (q) {
      var tree = trees.get(q);
      var read = function (name) { return asked.has(name) ? asked.get(name) : ""; };
      var on = !tree || holds(tree, read);
      q.hidden = !on;
      q.querySelectorAll("input, textarea, select").forEach(function (input) {
        if (input.type !== "file") {
          input.disabled = !on;
        }
      });
      if (on) {
        var value = answerOf(q);
        asked.set(q.getAttribute("data-name"), value);
        if (q.hasAttribute("data-required") && (value === "" || (Array.isArray(value) && value.length === 0))) {
          still.push(q.getAttribute("data-label"));
        }
      }
    });
    form.querySelectorAll("fieldset[data-section]").forEach(function (section) {
      section.hidden = !section.querySelector(".question:not([hidden])");
    });
    if (missing) {
      missing.hidden = still.length === 0;
      missing.textContent = "Still to answer before you hand it in: " + still.join(" · ");
    }
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  document.addEventListener("incognito:file-sent", refresh);
})();
