// A "Print" button (data-print): opens the browser's print dialog. Without JavaScript the
// browser's own Print menu does the same.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
