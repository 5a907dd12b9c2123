// Gerbang portal: the progress of a document upload (apply_upload.html).
// Without JavaScript the form posts as any form does; with htmx it is sent
// by XHR and this shows how much has gone.
(function () {
  "use strict";
  function show(form, loaded, total) {
    var box = document.getElementById(form.dataset.uploadProgress);
    if (!box) { return; }
    var bar = box.querySelector("progress");
    var percent = box.querySelector("[aria-live]");
    box.hidden = false;
    var p = total ? Math.round(loaded * 100 / total) : 0;
    bar.value = p;
    percent.textContent = p + "%";
  }
  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest("form[data-upload-progress]");
    if (form && e.detail.lengthComputable) { show(form, e.detail.loaded, e.detail.total); }
  });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.target.closest("form[data-upload-progress]");
    if (form) {
      show(form, 0, 1);
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    }
  });
})();
