// What the forms need beyond htmx's attributes, without inline code (the pages' CSP forbids it).
(function () {
  "use strict";
  // A field marked data-classify-param="quantity" sends its own value under that name too, so
  // the live classification reads the number being typed (htmx would need eval for js: values)
  document.addEventListener("htmx:configRequest", function (event) {
    var field = event.detail.elt;
    var name = field && field.dataset ? field.dataset.classifyParam : "";
    if (name) { event.detail.parameters[name] = field.value; }
  });
})();
// Steps that cannot be undone (adopting, publishing) ask first: data-confirm holds the question
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.dataset ? form.dataset.confirm : "";
  if (question && !window.confirm(question)) { event.preventDefault(); }
}, true);
// The language switch keeps the state htmx put in the address since the page loaded (method,
// profile, uncertainty, filters): the server wrote the links for the address it was asked
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a[hreflang]") : null;
  if (!link) { return; }
  var query = new URLSearchParams(window.location.search);
  query.set("lang", link.getAttribute("hreflang"));
  link.href = window.location.pathname + "?" + query.toString();
}, true);
