// The storefront's only script: plain fetch calls to the api on the same origin.
const $ = (id) => document.getElementById(id);

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function listItem(text, href) {
  const li = document.createElement("li");
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    li.append(a);
  } else {
    li.textContent = text;
  }
  return li;
}

async function loadItems() {
  const items = await api("/api/items");
  $("items").replaceChildren(...items.map((item) => listItem(item.name)));
  $("items-empty").hidden = items.length > 0;
}

async function loadVersion() {
  const v = await api("/api/version");
  $("release").textContent = v.release;
  $("greeting").textContent = v.greeting ?? "";
}

$("add-item").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    await api("/api/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: form.elements.name.value }),
    });
    form.reset();
    showError("");
    await loadItems();
  } catch (err) {
    showError(`Could not add the item: ${err.message}`);
  }
});

$("upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const file = form.elements.file.files[0];
  if (!file) return;
  try {
    const { key } = await api("/api/uploads", {
      method: "POST",
      headers: { "content-type": file.type || "application/octet-stream" },
      body: file,
    });
    $("uploads").prepend(listItem(file.name, `/api/uploads/${key}`));
    form.reset();
    showError("");
  } catch (err) {
    showError(`Could not upload: ${err.message}`);
  }
});

Promise.all([loadItems(), loadVersion()]).catch((err) =>
  showError(`The api is not answering: ${err.message}`),
);
