// Campaign previews: an email built from the campaign's blocks, shown in an iframe with sandbox="" (no scripts,
// no forms, no navigation, an opaque origin). The document is a string, so every value is escaped first.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function safeUrl(value) {
  const text = String(value || "").trim();
  return /^https:\/\/[^\s"'<>]+$/i.test(text) ? escapeHtml(text) : null;
}

function paragraphs(text) {
  return String(text || "")
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replaceAll("\n", "<br>")}</p>`)
    .join("");
}

function money(cents, currency) {
  if (cents === null || cents === undefined) return "";
  return `${(cents / 100).toFixed(2)} ${escapeHtml(currency || "USD")}`;
}

function block(b) {
  switch (b.type) {
    case "heading": {
      const level = Math.min(3, Math.max(1, Number(b.level) || 1));
      return `<h${level}>${escapeHtml(b.text)}</h${level}>`;
    }
    case "text":
      return paragraphs(b.text);
    case "image": {
      const src = safeUrl(b.url);
      return src ? `<img src="${src}" alt="${escapeHtml(b.alt)}">` : `<div class="ph">${escapeHtml(b.alt || "Image")}</div>`;
    }
    case "button":
      return `<p class="btn-row"><span class="btn">${escapeHtml(b.label)}</span></p>`;
    case "divider":
      return "<hr>";
    case "product": {
      const img = safeUrl(b.image_url);
      return `<div class="product">${img ? `<img src="${img}" alt="">` : ""}<strong>${escapeHtml(b.name)}</strong>` +
        `<span class="price">${money(b.price_cents, b.currency)}</span>${paragraphs(b.description)}</div>`;
    }
    case "social":
      return `<p class="social">${(b.links || []).map((l) => escapeHtml(l.network)).join(" · ")}</p>`;
    default:
      return "";
  }
}

const STYLE = `body{margin:0;background:#f3f4f6;font:15px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2937}
.mail{max-width:560px;margin:12px auto;background:#fff;border-radius:8px;padding:20px 24px;box-shadow:0 1px 3px #0002}
.meta{font-size:12px;color:#6b7280;border-bottom:1px solid #e5e7eb;padding-bottom:8px;margin-bottom:12px}
.meta b{color:#111827}h1,h2,h3{margin:.4em 0}img{max-width:100%}hr{border:0;border-top:1px solid #e5e7eb}
.btn-row{text-align:center}.btn{display:inline-block;background:#4f46e5;color:#fff;padding:10px 18px;border-radius:6px}
.product{border:1px solid #e5e7eb;border-radius:6px;padding:10px;margin:8px 0}.price{float:right;color:#059669}
.ph{background:#e5e7eb;color:#6b7280;text-align:center;padding:30px}.social{text-align:center;color:#6b7280}
.sms{white-space:pre-wrap;background:#e0f2fe;border-radius:12px;padding:10px 14px;max-width:320px}`;

export function campaignSrcdoc(c) {
  const meta = [
    c.from_name || c.from_email ? `<div>From: <b>${escapeHtml(c.from_name)}</b> ${escapeHtml(c.from_email ? `<${c.from_email}>` : "")}</div>` : "",
    c.subject ? `<div>Subject: <b>${escapeHtml(c.subject)}</b></div>` : "",
    c.preheader ? `<div>Preheader: ${escapeHtml(c.preheader)}</div>` : "",
  ].join("");
  const body = c.channel === "sms"
    ? `<div class="sms">${escapeHtml(c.sms_body)}</div>`
    : (c.blocks || []).map(block).join("");
  return `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head>` +
    `<body><div class="mail"><div class="meta">${meta}</div>${body}</div></body></html>`;
}
