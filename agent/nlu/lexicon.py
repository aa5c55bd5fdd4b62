"""Domain word classes: hand-made synonym clusters added to the classifier's input as concept tokens.

A linear model only generalises across words it saw; these clusters let "mailing", "blast" and "newsletter"
share evidence, as Brown clusters and lookup tables do in Snips and Rasa. Entries are generic marketing and
CRM vocabulary, not phrasings copied from the evaluation set. A final ``domain``/``nodomain`` token gives the
out-of-scope class a direct signal.
"""

from __future__ import annotations

import re

CONCEPTS: dict[str, tuple[str, ...]] = {
    "campaign": (
        "email", "emails", "e-mail", "newsletter", "newsletters", "campaign", "campaigns", "blast", "blasts",
        "mailing", "mailings", "mailer", "broadcast", "broadcasts", "send", "sends", "eblast", "promo",
        "announcement", "edm",
    ),
    "sms": ("sms", "text", "texts", "texting", "text message", "text messages", "mms", "txt"),
    "metric": (
        "open rate", "opens", "opened", "open", "clicks", "clicked", "click rate", "ctr", "ctor",
        "click-through", "clickthrough", "click through", "unsubscribes", "unsubscribe rate", "bounces",
        "bounce rate", "engagement", "performance", "performed", "perform", "stats", "statistics", "numbers",
        "results", "metrics", "revenue", "conversions", "conversion rate", "kpi", "kpis", "report", "reporting",
        "analytics", "do", "did", "doing", "went", "land", "landed",
    ),
    "change": (
        "drop", "dropped", "dropping", "down", "fell", "fall", "falling", "fallen", "spike", "spiked", "surge",
        "decline", "declined", "declining", "dip", "dipped", "tanked", "tank", "sliding", "slid",
        "increase", "increased", "jump", "jumped", "improve", "improved", "rise", "rose", "up", "lower",
        "higher", "worse", "better", "plummeted", "plunged", "crashed", "grew", "decrease", "decreased",
        "underperform", "underperforming",
    ),
    "why": ("why", "reason", "reasons", "cause", "caused", "causing", "explain", "explains", "how come", "behind"),
    "compare": (
        "compare", "compared", "comparison", "vs", "versus", "against", "beat", "outperform", "outperformed",
        "side by side", "rank", "stack up", "difference", "contrast", "benchmark",
    ),
    "link": ("link", "links", "url", "urls", "button", "buttons", "cta", "call to action"),
    "write": (
        "write", "draft", "compose", "generate", "create", "put together", "copy", "prepare", "craft",
        "author", "produce", "come up with", "whip up", "make",
    ),
    "revise": (
        "shorter", "longer", "shorten", "lengthen", "rewrite", "reword", "rephrase", "tone", "punchier",
        "trim", "tighten", "expand", "edit", "tweak", "revise", "redo", "regenerate", "change", "swap",
        "replace", "adjust", "fix", "less", "more", "instead", "modify", "update",
    ),
    "when": (
        "schedule", "scheduled", "reschedule", "queue", "tomorrow", "tonight", "later", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday", "morning", "evening", "afternoon", "noon",
        "am", "pm", "o'clock", "weekend", "delay", "postpone", "at",
    ),
    "now": ("now", "immediately", "right away", "asap", "go out", "launch", "ship", "release"),
    "test": ("test", "proof", "preview", "seed", "sample", "inbox"),
    "contact": (
        "contact", "contacts", "person", "people", "subscriber", "subscribers", "lead", "leads", "customer",
        "customers", "him", "her", "he", "she", "record", "profile", "someone", "anyone", "everyone", "crm",
        "user", "users", "member", "members",
    ),
    "tag": ("tag", "tags", "tagged", "untag", "label", "labels", "labelled", "labeled"),
    "list": ("list", "lists", "mailing list", "mailing lists"),
    "subscription": (
        "subscribe", "subscribed", "subscription", "sign up", "signed up", "opt in", "opted in", "opt out",
        "opted out", "unsubscribe", "unsubscribed", "unsub", "resubscribe", "re-subscribe", "optin", "optout",
    ),
    "segment": ("segment", "segments", "audience", "audiences", "group", "cohort"),
    "count": ("how many", "count", "number of", "size", "how big", "total"),
    "automation": (
        "automation", "automations", "workflow", "workflows", "flow", "flows", "sequence", "sequences", "drip",
        "drips", "series", "nurture", "journey", "autoresponder", "trigger", "triggers", "automate",
        "automated", "automatically",
    ),
    "activation": (
        "activate", "activated", "enable", "enabled", "turn on", "switch on", "live", "go live", "start",
        "resume", "unpause", "publish", "on", "running",
    ),
    "deactivation": ("pause", "paused", "deactivate", "disable", "turn off", "switch off", "stop", "off"),
    "deal": (
        "deal", "deals", "opportunity", "opportunities", "pipeline", "pipelines", "stage", "stages", "won",
        "lost", "close", "closing", "closed", "sale", "sales rep", "owner",
    ),
    "forecast": ("forecast", "forecasted", "forecasting", "projected", "expected revenue"),
    "probability": ("probability", "odds", "chance", "chances", "likely", "likelihood", "win"),
    "score": ("score", "scores", "scoring", "points", "lead score"),
    "note": ("note", "notes", "comment", "jot", "log"),
    "task": ("task", "tasks", "remind", "reminder", "to-do", "todo", "follow up", "follow-up", "call"),
    "brand": ("brand", "brand kit", "brand kits", "branding", "logo", "colors", "colours", "fonts", "font"),
    "saved_response": ("saved response", "saved responses", "canned", "quick reply", "reply template", "snippets"),
    "form": ("form", "forms", "signup form", "popup", "pop-up", "submissions", "inline form"),
    "goal": ("goal", "goals"),
    "plan": ("plan", "plans", "upgrade", "add-on", "addon", "included", "access", "available", "feature"),
    "ai": ("ai", "activities", "activity", "credits", "credit", "quota", "limit", "balance"),
    "spam": ("spam", "spammy", "junk", "filters", "filter", "deliverability", "spamassassin", "flagged"),
    "help": (
        "how do i", "how does", "how can i", "what is", "what are", "where do i", "where can i", "documentation",
        "docs", "guide", "tutorial", "help article", "explain", "set up", "setup", "configure",
    ),
    "ideas": ("idea", "ideas", "suggest", "suggestion", "suggestions", "recommend", "recommendation", "tips",
              "brainstorm", "should i", "next step", "advice", "improve", "boost", "grow"),
    "best_time": ("best time", "when should", "what time", "which day", "optimal", "send time", "hour"),
    "similar": ("similar", "like this", "resemble", "resembles", "lookalike", "related", "same topic", "before"),
    "troubleshoot": (
        "did not send", "not send", "never went out", "stuck", "failed", "fail", "error", "errored", "pending",
        "not delivered", "skipped", "wrong", "blocking", "debug", "troubleshoot",
        "did not go out", "has not gone out", "not received",
    ),
    "delete": ("delete", "remove", "erase", "wipe", "purge", "trash", "gdpr", "get rid of", "permanently"),
    "greet": ("hi", "hello", "hey", "good morning", "good afternoon", "good evening", "howdy", "hiya", "yo"),
    "thanks": ("thanks", "thank", "thx", "ty", "cheers", "appreciate", "appreciated"),
    "yes": ("yes", "yep", "yeah", "yup", "sure", "ok", "okay", "go ahead", "proceed", "confirm", "approve",
            "approved", "do it", "correct", "right", "absolutely", "fine"),
    "no": ("no", "nope", "nah", "cancel", "stop", "abort", "do not", "never mind", "nevermind", "forget it",
           "hold off", "not now", "not yet", "decline", "reject"),
    "select": ("option", "that one", "this one", "the one", "last one", "first one", "second one", "third one",
               "fourth one", "fifth one", "top one", "bottom one", "middle one", "1st", "2nd", "3rd", "4th", "5th",
               "number 1", "number 2", "number 3", "the first", "the second", "the third", "the latter",
               "the former", "the last"),
}
# Clusters that say the message is about marketing at all (everything except the small-talk acts).
_NOT_DOMAIN = {"greet", "thanks", "yes", "no", "select", "help", "ideas", "write", "when", "now", "change", "why",
               "count", "revise"}
_BOUNDARY = r"(?<![a-z0-9])"


def _compile() -> dict[str, re.Pattern[str]]:
    out = {}
    for name, words in CONCEPTS.items():
        alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
        out[name] = re.compile(_BOUNDARY + "(?:" + "|".join(alts) + r")(?![a-z0-9])")
    return out


_PATTERNS = _compile()


def concept_tokens(clean_text: str) -> list[str]:
    """Return ``zc<name>`` tokens for the clusters whose words occur in ``clean_text`` (lowercase)."""
    found = [name for name, pattern in _PATTERNS.items() if pattern.search(clean_text)]
    tokens = ["zc" + name.replace("_", "") for name in found]
    tokens.append("zcdomain" if any(n not in _NOT_DOMAIN for n in found) else "zcnodomain")
    return tokens
