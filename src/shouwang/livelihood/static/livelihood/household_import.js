// The household register import page: while a file is checked or imported (inside the
// request), show the progress bar and keep the buttons from being pressed twice.
document.addEventListener("DOMContentLoaded", () => {
  const progress = document.querySelector("[data-testid=import-progress]");
  for (const form of document.querySelectorAll("form.lh-import-form")) {
    form.addEventListener("submit", (event) => {
      const pressed = event.submitter;
      if (pressed && pressed.name) {
        // A disabled button is not sent: carry its value in a hidden field.
        const carry = document.createElement("input");
        carry.type = "hidden";
        carry.name = pressed.name;
        carry.value = pressed.value;
        form.appendChild(carry);
      }
      for (const button of document.querySelectorAll("form.lh-import-form button")) {
        button.disabled = true;
      }
      if (progress) progress.hidden = false;
    });
  }
});
