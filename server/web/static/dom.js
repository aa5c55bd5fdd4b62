// Building DOM from agent output without ever parsing it as HTML: every string becomes a text node.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Inline markdown: **bold** and `code`; everything else stays literal text.
const INLINE = /\*\*([^*\n]+?)\*\*|`([^`\n]+)`/g;

export function inline(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) frag.append(document.createTextNode(text.slice(last, match.index)));
    if (match[1] !== undefined) frag.append(el("strong", { text: match[1] }));
    else frag.append(el("code", { text: match[2] }));
    last = match.index + match[0].length;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  return frag;
}

const BULLET = /^\s*(?:[-*•+])\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;

// Block markdown: paragraphs, bullet and numbered lists, headings (shown as bold lines).
export function renderMarkdown(text) {
  const frag = document.createDocumentFragment();
  let list = null;
  let listKind = "";
  let para = null;
  const endList = () => { list = null; listKind = ""; };
  const endPara = () => { para = null; };
  for (const line of String(text).split("\n")) {
    const bullet = line.match(BULLET);
    const numbered = bullet ? null : line.match(NUMBERED);
    const heading = line.match(HEADING);
    if (bullet || numbered) {
      endPara();
      const kind = bullet ? "ul" : "ol";
      if (!list || listKind !== kind) {
        list = el(kind);
        listKind = kind;
        frag.append(list);
      }
      list.append(el("li", {}, inline((bullet || numbered)[1])));
    } else if (heading) {
      endList();
      endPara();
      frag.append(el("p", { class: "md-heading" }, el("strong", {}, inline(heading[1]))));
    } else if (!line.trim()) {
      endList();
      endPara();
    } else {
      endList();
      if (para) para.append(el("br"), inline(line));
      else {
        para = el("p", {}, inline(line));
        frag.append(para);
      }
    }
  }
  return frag;
}

export function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function humanize(name) {
  const text = String(name || "").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function formatValue(value) {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    if (value >= 0 && value <= 1) return `${(value * 100).toFixed(1)}%`;
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function relativeTime(iso) {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  const minutes = Math.round((Date.now() - then.getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return then.toLocaleDateString();
}
