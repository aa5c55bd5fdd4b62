// The demo page: a stand-in campaign page with the assistant sidebar, which sends the open campaign as page
// context with every message (so "this campaign" means the one on screen).

import { api, clearKey, ensureKey, getKey, takeKeyFromUrl } from "./api.js";
import { ChatView } from "./chat.js";
import { el } from "./dom.js";
import { ChatSocket } from "./socket.js";

const $ = (id) => document.getElementById(id);
const SUGGESTIONS = ["How did this campaign do?", "What's in this campaign?", "Who clicked in this campaign?"];

let campaigns = [];
let current = null;

function show(campaign) {
  current = campaign;
  $("crumb").textContent = campaign ? campaign.name : "No campaigns yet";
  $("campaign-name").textContent = campaign ? campaign.name : "No campaigns yet";
  $("campaign-status").textContent = campaign ? campaign.status : "";
  $("campaign-channel").textContent = campaign ? campaign.channel : "";
  $("campaign-subject").textContent = (campaign && campaign.subject) || "—";
  $("campaign-sent").textContent = campaign && campaign.sent_at ? new Date(campaign.sent_at).toLocaleString() : "—";
  $("context-chip").textContent = campaign ? `Campaign #${campaign.id}` : "";
  $("context-chip").title = campaign ? `The assistant sees: campaign ${campaign.id} (${campaign.name})` : "";
  const url = new URL(window.location.href);
  if (campaign) url.searchParams.set("campaign", String(campaign.id));
  history.replaceState(null, "", url.pathname + url.search);
}

function pageContext() {
  if (!current) return { page: "campaigns" };
  return { page: "campaign", object_type: "campaign", object_id: current.id, details: { name: current.name } };
}

async function main() {
  takeKeyFromUrl();
  await ensureKey($("key-dialog"));
  let chat = null;
  const socket = new ChatSocket(getKey, {
    onEvent: (msg) => chat.handle(msg),
    onAuthError: () => { clearKey(); window.location.reload(); },
  });
  chat = new ChatView({
    socket, messages: $("messages"), form: $("composer"), input: $("prompt"), stopButton: $("stop"), page: pageContext,
    surface: "sidebar",
  });
  socket.connect();
  $("new-chat").addEventListener("click", () => chat.newChat());

  campaigns = await api("/api/web/campaigns?limit=30");
  const wanted = Number(new URL(window.location.href).searchParams.get("campaign"));
  $("campaign-picker").replaceChildren(...campaigns.map((c) =>
    el("option", { value: String(c.id), text: `${c.name} (${c.status})`, selected: c.id === wanted })));
  $("campaign-picker").addEventListener("change", (event) => {
    show(campaigns.find((c) => String(c.id) === event.target.value) || null);
  });
  show(campaigns.find((c) => c.id === wanted) || campaigns.find((c) => c.status === "sent" && c.channel === "email") || campaigns[0] || null);
  if (current) $("campaign-picker").value = String(current.id);
  // Suggestions appear once the page knows its campaign, so the first question already carries it.
  $("suggestions").replaceChildren(...SUGGESTIONS.map((text) =>
    el("button", { type: "button", class: "suggestion", text, onclick: () => chat.send(text) })));
}

main();
