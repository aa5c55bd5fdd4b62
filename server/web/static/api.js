// API key handling and authenticated fetch. The key is entered once (or passed as ?key=) and kept in
// localStorage; it is removed from the address bar at once so it does not end up in history or screenshots.

const STORAGE_KEY = "activeintel.apiKey";

export function takeKeyFromUrl() {
  const url = new URL(window.location.href);
  const key = url.searchParams.get("key");
  if (key) {
    localStorage.setItem(STORAGE_KEY, key.trim());
    url.searchParams.delete("key");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

export function getKey() {
  return localStorage.getItem(STORAGE_KEY) || "";
}

export function setKey(key) {
  localStorage.setItem(STORAGE_KEY, key.trim());
}

export function clearKey() {
  localStorage.removeItem(STORAGE_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { "X-Api-Key": getKey() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Ask for a key in the dialog until one works; resolves with /api/me.
export async function ensureKey(dialog) {
  for (;;) {
    if (getKey()) {
      try {
        return await api("/api/me");
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 401) throw err;
        clearKey();
        dialog.querySelector(".key-error").textContent = "That key was not accepted. Check it and try again.";
      }
    }
    await askKey(dialog);
  }
}

function askKey(dialog) {
  return new Promise((resolve) => {
    const form = dialog.querySelector("form");
    const input = dialog.querySelector("input");
    input.value = "";
    const done = (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      setKey(input.value);
      form.removeEventListener("submit", done);
      dialog.close();
      resolve();
    };
    form.addEventListener("submit", done);
    dialog.showModal();
    input.focus();
  });
}
