// The online hall's one script; every page works without it.
// - A print button prints (the page prints without it too).
// - A photo larger than the platform takes (a phone's camera easily makes 4 MB) is made
//   smaller on the device before it is uploaded: drawn again at most 2400 px on its long
//   side as a JPEG, less and less large until it fits. Without the script the page says the
//   limit and the hall refuses a larger file in words.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

async function fitted(file, limit) {
  const bitmap = await createImageBitmap(file);
  let scale = Math.min(1, 2400 / Math.max(bitmap.width, bitmap.height));
  for (let round = 0; round < 6; round += 1) {
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    if (blob && blob.size <= limit) {
      return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
    }
    scale *= 0.75;
  }
  return null;
}

document.addEventListener("change", async (event) => {
  const input = event.target;
  const form = input.closest && input.closest("form[data-limit]");
  if (!form || input.type !== "file" || input.files.length !== 1) return;
  // Room for the form's own parts around the file.
  const limit = Number(form.dataset.limit) - 16 * 1024;
  const file = input.files[0];
  if (file.size <= limit || !/^image\/(jpeg|png)$/.test(file.type)) return;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const smaller = await fitted(file, limit);
    if (smaller) {
      const list = new DataTransfer();
      list.items.add(smaller);
      input.files = list.files;
    }
  } finally {
    button.disabled = false;
  }
});
