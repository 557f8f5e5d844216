// The online hall's one script: a print button prints (a page that prints without it too).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
