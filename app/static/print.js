// The print button of /results/{id}/print (no inline script: the Content-Security-Policy allows only files).
document.getElementById("print-button")?.addEventListener("click", () => window.print());
