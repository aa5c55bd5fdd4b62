"""Vocabulary and sentence templates of the offline copywriter.

Templates use named slots: ``{focus}`` (what the email is about), ``{brand}``, ``{offer}``, ``{audience}``,
``{deadline}`` (when an offer ends: 'Friday', 'this weekend'), ``{when}`` (when an event happens:
'on June 30'), ``{occasion}`` (a named sale: 'Spring sale'), ``{offer_on}`` ('20% off' or 'Free shipping on',
so it reads well before the focus) and ``{adj}`` (an adjective of the tone). A template whose slot has no
value is skipped, so every pool keeps at least one template that needs only ``{focus}``. Slots are
placed where any noun phrase reads well (after a preposition or a colon), because the focus is whatever the
marketer typed.

Copy is written with contractions; the formal tone expands them (see ``CONTRACTIONS``).
"""

from __future__ import annotations

from typing import Literal, TypedDict

Purpose = Literal[
    "announcement",
    "promotion",
    "newsletter",
    "win_back",
    "welcome",
    "event",
    "product_launch",
    "abandoned_cart",
    "follow_up",
    "re_engagement",
    "thank_you",
]
PURPOSES: tuple[str, ...] = (
    "announcement",
    "promotion",
    "newsletter",
    "win_back",
    "welcome",
    "event",
    "product_launch",
    "abandoned_cart",
    "follow_up",
    "re_engagement",
    "thank_you",
)
Tone = Literal["friendly", "professional", "playful", "urgent", "excited", "warm", "formal", "casual"]
TONES: tuple[str, ...] = (
    "friendly",
    "professional",
    "playful",
    "urgent",
    "excited",
    "warm",
    "formal",
    "casual",
)


# ---------------------------------------------------------------- purpose inference

# Phrases that reveal the purpose of a topic, most specific purposes first (ties go to the earlier one).
PURPOSE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "abandoned_cart": (
        "abandoned cart",
        "abandon",
        "left in cart",
        "left in your cart",
        "cart reminder",
        "in their cart",
        "in your cart",
        "checkout reminder",
        "forgot something",
        "cart",
    ),
    "win_back": (
        "win back",
        "win-back",
        "winback",
        "lapsed",
        "we miss you",
        "come back",
        "churned",
        "haven't ordered",
        "havent ordered",
        "former customers",
        "past customers",
        "lost customers",
    ),
    "re_engagement": (
        "re-engage",
        "reengage",
        "re-engagement",
        "reengagement",
        "inactive subscribers",
        "unengaged",
        "haven't opened",
        "not opened",
        "still interested",
        "sunset",
        "cold subscribers",
        "inactive",
    ),
    "welcome": (
        "welcome",
        "onboard",
        "onboarding",
        "new subscriber",
        "new subscribers",
        "just joined",
        "sign up",
        "signup",
        "sign-up",
        "new members",
        "new customers",
    ),
    "thank_you": ("thank you", "thank-you", "thanks", "gratitude", "appreciation", "grateful"),
    "event": (
        "event",
        "webinar",
        "workshop",
        "conference",
        "meetup",
        "meet-up",
        "rsvp",
        "livestream",
        "live stream",
        "open house",
        "summit",
        "masterclass",
        "class",
        "tasting",
        "party",
        "register",
        "registration",
        "invite",
        "invitation",
    ),
    "product_launch": (
        "launch",
        "launching",
        "new product",
        "introducing",
        "introduce",
        "release",
        "now available",
        "debut",
        "unveil",
        "just dropped",
        "new collection",
        "new arrival",
        "new arrivals",
        "new feature",
    ),
    "follow_up": (
        "follow up",
        "follow-up",
        "following up",
        "check in",
        "check-in",
        "checking in",
        "after the",
        "reminder",
        "next steps",
        "feedback",
        "review request",
        "survey",
    ),
    "promotion": (
        "sale",
        "% off",
        "percent off",
        "discount",
        "promo",
        "deal",
        "deals",
        "coupon",
        "black friday",
        "cyber monday",
        "offer",
        "clearance",
        "bogo",
        "free shipping",
        "save",
        "savings",
        "flash",
        "limited time",
        "special price",
    ),
    "newsletter": (
        "newsletter",
        "digest",
        "roundup",
        "round-up",
        "monthly update",
        "weekly update",
        "tips",
        "news from",
        "recap",
        "this month",
        "this week",
        "guide",
        "stories",
        "highlights",
    ),
    "announcement": (
        "announce",
        "announcement",
        "news",
        "update",
        "changes",
        "change",
        "new hours",
        "moving",
        "policy",
        "price change",
        "opening",
        "closing",
        "now open",
    ),
}
# A topic made only of these words says what kind of email it is, not what it is about.
LABEL_WORDS = frozenset(
    "a an the email e-mail campaign message blast newsletter announcement promo promotion offer offers "
    "special welcome win-back winback win back re-engagement reengagement thank thanks you thank-you "
    "follow-up follow up followup reminder invite invitation series sequence abandoned cart nudge "
    "our my your".split()
)

# What the email is about when the topic only names the kind of email.
FALLBACK_FOCUS: dict[str, tuple[str, str]] = {
    # (with a brand, without a brand)
    "announcement": ("news from {brand}", "our latest news"),
    "promotion": ("our favorites", "our favorites"),
    "newsletter": ("this month's highlights", "this month's highlights"),
    "win_back": ("what's new at {brand}", "what's new since your last visit"),
    "welcome": ("{brand}", "our community"),
    "event": ("our upcoming event", "our upcoming event"),
    "product_launch": ("our newest release", "our newest release"),
    "abandoned_cart": ("the items in your cart", "the items in your cart"),
    "follow_up": ("your recent visit", "your recent visit"),
    "re_engagement": ("your {brand} updates", "your email updates"),
    "thank_you": ("your support", "your support"),
}

DEFAULT_LAYOUT: dict[str, str] = {
    "announcement": "Simple",
    "promotion": "Image grid",
    "newsletter": "Editorial",
    "win_back": "Simple",
    "welcome": "Callouts",
    "event": "Callouts",
    "product_launch": "2 Column",
    "abandoned_cart": "Simple",
    "follow_up": "Simple",
    "re_engagement": "Simple",
    "thank_you": "Simple",
}

# Words in a brand kit's tone description that map to one of our tones.
TONE_SYNONYMS: dict[str, str] = {
    "friendly": "friendly",
    "approachable": "friendly",
    "helpful": "friendly",
    "upbeat": "friendly",
    "cheerful": "friendly",
    "positive": "friendly",
    "professional": "professional",
    "expert": "professional",
    "authoritative": "professional",
    "trustworthy": "professional",
    "confident": "professional",
    "direct": "professional",
    "clear": "professional",
    "knowledgeable": "professional",
    "corporate": "professional",
    "playful": "playful",
    "fun": "playful",
    "quirky": "playful",
    "witty": "playful",
    "humorous": "playful",
    "cheeky": "playful",
    "whimsical": "playful",
    "funny": "playful",
    "urgent": "urgent",
    "excited": "excited",
    "exciting": "excited",
    "energetic": "excited",
    "enthusiastic": "excited",
    "bold": "excited",
    "vibrant": "excited",
    "passionate": "excited",
    "warm": "warm",
    "caring": "warm",
    "empathetic": "warm",
    "kind": "warm",
    "heartfelt": "warm",
    "compassionate": "warm",
    "gentle": "warm",
    "nurturing": "warm",
    "formal": "formal",
    "elegant": "formal",
    "sophisticated": "formal",
    "luxury": "formal",
    "luxurious": "formal",
    "refined": "formal",
    "polished": "formal",
    "classic": "formal",
    "casual": "casual",
    "relaxed": "casual",
    "laid-back": "casual",
    "laidback": "casual",
    "chill": "casual",
    "easygoing": "casual",
    "informal": "casual",
    "conversational": "casual",
}


# ---------------------------------------------------------------- tone vocabulary


class ToneWords(TypedDict):
    greeting: tuple[str, ...]
    opener: tuple[str, ...]
    bridge: tuple[str, ...]
    closer: tuple[str, ...]
    urgency: tuple[str, ...]
    signoff: tuple[str, ...]
    adjectives: tuple[str, ...]
    subject_styles: tuple[str, ...]
    markers: tuple[str, ...]


TONE_VOCAB: dict[str, ToneWords] = {
    "friendly": {
        "greeting": ("Hi %FIRSTNAME%,", "Hello %FIRSTNAME%,"),
        "opener": ("We hope your week is off to a great start.", "We're so glad you're here."),
        "bridge": ("We think you're going to enjoy this one.", "We had a lot of fun putting this together."),
        "closer": ("We hope you enjoy it as much as we do.", "We'd be happy to help with anything you need."),
        "urgency": ("It won't be around for long, so have a look soon.",),
        "signoff": ("Cheers,", "All the best,"),
        "adjectives": ("great", "lovely"),
        "subject_styles": ("{s}", "{s}", "Good news: {l}"),
        "markers": ("hope", "glad", "enjoy", "happy", "cheers", "all the best", "great", "lovely"),
    },
    "professional": {
        "greeting": ("Hello %FIRSTNAME%,",),
        "opener": ("Here's a short update from our team.", "We're pleased to share the following update."),
        "bridge": (
            "It's designed to save you time and effort.",
            "Every detail has been considered carefully.",
        ),
        "closer": (
            "Our team is available if you have any questions.",
            "We're confident this will be useful to you.",
        ),
        "urgency": ("Availability is limited, so we recommend acting soon.",),
        "signoff": ("Best regards,", "Kind regards,"),
        "adjectives": ("well-designed", "practical"),
        "subject_styles": ("{s}", "Update: {l}"),
        "markers": (
            "pleased",
            "regards",
            "designed",
            "team is available",
            "confident",
            "practical",
            "update from our team",
            "well-designed",
        ),
    },
    "playful": {
        "greeting": ("Hey there %FIRSTNAME%,", "Well hello, %FIRSTNAME%,"),
        "opener": ("Psst, we've got something fun for you.", "Grab a snack, this one's a treat."),
        "bridge": ("Go on, treat yourself.", "Consider this your sign to have a little fun."),
        "closer": ("Go on, you know you want to.", "Your future self will thank you."),
        "urgency": ("Blink and you might miss it.",),
        "signoff": ("High fives,", "Stay awesome,"),
        "adjectives": ("delightful", "fun"),
        "subject_styles": ("Psst, {l}", "{s} (you'll love this)", "Guess what: {l}"),
        "markers": (
            "psst",
            "fun",
            "treat",
            "high fives",
            "stay awesome",
            "you know you want to",
            "snack",
            "delightful",
            "blink",
        ),
    },
    "urgent": {
        "greeting": ("Hi %FIRSTNAME%,",),
        "opener": ("Time is running out, so we'll keep this quick.", "Don't wait on this one."),
        "bridge": ("Once it's gone, it's gone.", "Spots and stock are limited."),
        "closer": ("Don't wait: this ends soon.", "Act today so you don't miss out."),
        "urgency": ("Time is short, so don't wait.",),
        "signoff": ("See you soon,", "Talk soon,"),
        "adjectives": ("popular", "in-demand"),
        "subject_styles": ("Ending soon: {l}", "Don't wait: {l}", "Last call: {l}"),
        "markers": (
            "don't wait",
            "ends soon",
            "running out",
            "today",
            "don't miss",
            "limited",
            "last call",
            "once it's gone",
            "ending soon",
        ),
    },
    "excited": {
        "greeting": ("Hi %FIRSTNAME%!",),
        "opener": (
            "We're thrilled to share some big news with you.",
            "We can't wait to tell you about this.",
        ),
        "bridge": (
            "Honestly, this is one of our favorite things we've ever made.",
            "The whole team is buzzing about it.",
        ),
        "closer": (
            "We can't wait to hear what you think.",
            "This is just the beginning, and we're thrilled.",
        ),
        "urgency": ("It's going fast, so jump in soon.",),
        "signoff": ("Excitedly yours,", "With big smiles,"),
        "adjectives": ("amazing", "exciting"),
        "subject_styles": ("Big news: {l}", "{s}!", "It's here: {l}"),
        "markers": (
            "thrilled",
            "can't wait",
            "big news",
            "amazing",
            "exciting",
            "buzzing",
            "excitedly",
            "big smiles",
        ),
    },
    "warm": {
        "greeting": ("Hello %FIRSTNAME%,", "Hello again, %FIRSTNAME%,"),
        "opener": ("We've been thinking of you.", "We hope this note finds you well."),
        "bridge": (
            "It was made with care, and with people like you in mind.",
            "We're grateful for every one of you.",
        ),
        "closer": ("Thank you for being part of our story.", "We're grateful to have you with us."),
        "urgency": ("We'd hate for you to miss it, so take a look soon.",),
        "signoff": ("With warm wishes,", "With gratitude,"),
        "adjectives": ("thoughtful", "special"),
        "subject_styles": ("{s}", "For you: {l}", "A note for you: {l}"),
        "markers": (
            "grateful",
            "with care",
            "warm",
            "gratitude",
            "thinking of you",
            "thoughtful",
            "special",
            "finds you well",
        ),
    },
    "formal": {
        "greeting": ("Hello %FIRSTNAME%,", "Good day, %FIRSTNAME%,"),
        "opener": ("We trust this message finds you well.", "We are pleased to inform you of the following."),
        "bridge": ("We would be delighted to assist you further.", "Kindly find the details below."),
        "closer": (
            "Should you have any questions, we remain at your disposal.",
            "We look forward to welcoming you at your convenience.",
        ),
        "urgency": ("Kindly note that availability is limited.",),
        "signoff": ("Sincerely,", "Yours faithfully,"),
        "adjectives": ("exceptional", "refined"),
        "subject_styles": ("{s}", "Notice: {l}"),
        "markers": (
            "trust this message",
            "pleased to inform",
            "kindly",
            "at your convenience",
            "sincerely",
            "yours faithfully",
            "delighted",
            "at your disposal",
            "exceptional",
            "refined",
            "good day",
        ),
    },
    "casual": {
        "greeting": ("Hey %FIRSTNAME%,", "Hey hey %FIRSTNAME%,"),
        "opener": ("Quick note from us.", "No big intro, just the good stuff."),
        "bridge": ("Pretty cool, right?", "Honestly, it's kind of our favorite thing right now."),
        "closer": ("Take a look whenever you've got a minute.", "No pressure, just thought you'd like it."),
        "urgency": ("Heads up: it won't stick around forever.",),
        "signoff": ("Talk soon,", "Later,"),
        "adjectives": ("pretty great", "cool"),
        "subject_styles": ("Quick one: {l}", "{s}", "Heads up: {l}"),
        "markers": (
            "hey",
            "quick note",
            "no big",
            "pretty",
            "cool",
            "no pressure",
            "talk soon",
            "later",
            "heads up",
            "good stuff",
        ),
    },
}

# Expanded for the formal tone (longest first so "you'll" is not read as "you").
CONTRACTIONS: dict[str, str] = {
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "haven't": "have not",
    "hasn't": "has not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "you'll": "you will",
    "you're": "you are",
    "you've": "you have",
    "you'd": "you would",
    "we'll": "we will",
    "we're": "we are",
    "we've": "we have",
    "we'd": "we would",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "here's": "here is",
    "what's": "what is",
    "let's": "let us",
    "they're": "they are",
    "i'm": "I am",
    "i've": "I have",
    "who's": "who is",
    "it'll": "it will",
}


# ---------------------------------------------------------------- purpose copy


class PurposeCopy(TypedDict):
    subjects: tuple[str, ...]
    preheaders: tuple[str, ...]
    headings: tuple[str, ...]
    intro: tuple[str, ...]
    # (title, sentences): Callouts and Editorial show the titles; Simple runs the sentences together.
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    offer: tuple[str, ...]
    close: tuple[str, ...]
    cta: tuple[str, ...]
    sms: tuple[str, ...]


COPY: dict[str, PurposeCopy] = {
    "announcement": {
        "subjects": (
            "News about {focus}",
            "An update on {focus}",
            "Here's what's new: {focus}",
            "{brand} news: {focus}",
            "A quick update on {focus}",
            "Something new: {focus}",
        ),
        "preheaders": (
            "Everything you need to know about {focus}, in one short read.",
            "Here's what's changing and what it means for you.",
            "A quick note from {brand} about {focus}.",
        ),
        "headings": ("News about {focus}", "What's new: {focus}", "An update on {focus}"),
        "intro": (
            "We have news to share about {focus}.",
            "We wanted you to be among the first to hear about {focus}.",
        ),
        "sections": (
            (
                "What's new",
                (
                    "Here's a quick rundown of what's changing and why.",
                    "We made this change based on feedback from people like you.",
                    "The change takes effect {when}.",
                    "We've kept the parts you told us you rely on.",
                    "It's one of several improvements planned for this year.",
                ),
            ),
            (
                "What it means for you",
                (
                    "Nothing is needed on your side; everything keeps working as before.",
                    "We think it makes {focus} even more useful for you.",
                    "Our team has been working on this for a while, and we're proud of it.",
                    "Your settings and history stay exactly where they are.",
                    "If you prefer the old way, tell us and we'll help you adjust.",
                ),
            ),
            (
                "What to do next",
                (
                    "You'll find all the details on our website.",
                    "If anything is unclear, our team is happy to help.",
                    "Keep an eye on your inbox for more in the coming weeks.",
                    "We'll also post updates on our website as they happen.",
                    "A short guide is available for anyone who wants the details.",
                ),
            ),
        ),
        "offer": ("To celebrate, enjoy {offer_on} your next order.",),
        "close": ("Thanks for being part of the {brand} community.", "We'd love to hear what you think."),
        "cta": ("Read the details", "Learn more", "See what's new"),
        "sms": ("News about {focus}.", "Update: {focus}."),
    },
    "promotion": {
        "subjects": (
            "{offer_on} {focus}",
            "Save on {focus}",
            "{occasion}: save on {focus}",
            "Ends {deadline}: {offer_on} {focus}",
            "A {adj} deal on {focus}",
            "Time to save on {focus}",
            "{occasion}: {offer_on} {focus}",
        ),
        "preheaders": (
            "Get {offer_on} {focus} before it ends {deadline}.",
            "Get {offer_on} {focus}, for a limited time.",
            "{occasion} is on, with our best prices on {focus}.",
            "A {adj} offer on {focus}, picked for you.",
            "Our best prices on {focus}, for a limited time.",
        ),
        "headings": ("{offer_on} {focus}", "Save on {focus}", "{occasion}: save on {focus}"),
        "intro": (
            "{occasion} is here, and {focus} is part of it.",
            "Our offer on {focus} is here, and we saved you a spot.",
            "For a limited time, we're taking a little off {focus}.",
        ),
        "sections": (
            (
                "Why you'll love it",
                (
                    "It's a good moment to try something new.",
                    "Our most-loved picks are part of the offer.",
                    "Customers keep coming back for the quality, and now for the price too.",
                    "It's the perfect excuse to pick up something you've had your eye on.",
                    "It also makes a great gift for someone special.",
                ),
            ),
            (
                "How it works",
                (
                    "Pick your favorites and the savings appear at checkout.",
                    "No code is needed; it applies automatically.",
                    "Shipping is fast, and returns are easy if something isn't right.",
                    "You can save favorites to your wishlist and decide later.",
                    "Our team can help you choose if you're unsure.",
                ),
            ),
            (
                "Don't miss it",
                (
                    "The offer ends {deadline}.",
                    "Popular sizes and colors tend to sell out first.",
                    "Once the offer ends, prices go back to normal.",
                    "We don't run offers like this very often.",
                    "Set a reminder so it doesn't slip by.",
                ),
            ),
        ),
        "offer": ("Enjoy {offer_on} {focus}.", "That's {offer}, applied at checkout."),
        "close": ("Happy shopping.", "We hope you find something you love."),
        "cta": ("Shop the sale", "See the offer", "Start saving"),
        "sms": (
            "{occasion}: {offer_on} {focus}, ends {deadline}.",
            "{offer_on} {focus}, ends {deadline}.",
            "{occasion}: {offer_on} {focus}.",
            "{offer_on} {focus} now.",
            "Save on {focus} now.",
        ),
    },
    "newsletter": {
        "subjects": (
            "This month: {focus}",
            "Your update: {focus}",
            "Inside: {focus}",
            "Fresh reads on {focus}",
            "The latest on {focus}",
            "{brand} notes: {focus}",
        ),
        "preheaders": (
            "Ideas, news and a few favorites on {focus}.",
            "Your short read on {focus}, plus what's coming next.",
            "Catch up on {focus} in five minutes.",
        ),
        "headings": ("All about {focus}", "This edition: {focus}", "The latest on {focus}"),
        "intro": (
            "In this edition, we're sharing ideas on {focus}.",
            "Here's your roundup of everything new on {focus}.",
        ),
        "sections": (
            (
                "The big story",
                (
                    "We start with what's been keeping us busy: {focus}.",
                    "We gathered the most useful ideas in one place.",
                    "Save this email so you can come back to it later.",
                    "We also asked a few customers what they've learned along the way.",
                    "Their answers surprised us, and we think they'll help you too.",
                ),
            ),
            (
                "Tips and ideas",
                (
                    "Start small: one change a week adds up quickly.",
                    "Our team shared the habits that work best for them.",
                    "You'll find a step-by-step guide on our blog.",
                    "Small, steady steps beat big changes that don't last.",
                    "Try one idea this week and tell us how it went.",
                ),
            ),
            (
                "Coming up",
                (
                    "Next time, we'll go deeper on your most-asked questions.",
                    "Have a topic in mind? Tell us and we may feature it.",
                    "Until then, we'll keep an eye out for ideas worth sharing.",
                    "You can also browse past editions on our website.",
                    "Thanks for helping us make every edition better.",
                ),
            ),
        ),
        "offer": ("Readers get {offer} this month as a thank you.",),
        "close": ("Thanks for reading.", "See you in the next edition."),
        "cta": ("Read more", "Read the full story", "Explore the edition"),
        "sms": ("New on our blog: {focus}.", "Fresh ideas on {focus}."),
    },
    "win_back": {
        "subjects": (
            "We miss you, %FIRSTNAME%",
            "It's been a while: {focus}",
            "Come see {focus}",
            "A welcome-back gift: {offer}",
            "Here's what you've missed at {brand}",
            "Still thinking of you: {focus}",
        ),
        "preheaders": (
            "A lot has changed since your last visit, and we saved you something.",
            "Come back for {offer_on} your next order.",
            "Here's what's new: {focus}.",
        ),
        "headings": ("We miss you", "It's been a while", "Welcome back, whenever you're ready"),
        "intro": (
            "It's been a while since we last saw you, so we wanted to reach out.",
            "We noticed you haven't visited lately, and we miss having you around.",
        ),
        "sections": (
            (
                "What's new",
                (
                    "A lot has changed since your last visit, starting with {focus}.",
                    "We've added new favorites that we think suit you.",
                    "We listened to feedback and made ordering simpler.",
                    "Delivery is quicker than it used to be, too.",
                    "Many of your past favorites are back in stock.",
                ),
            ),
            (
                "Why come back",
                (
                    "Your account is still here, with everything as you left it.",
                    "Customers who come back tell us the new range was worth it.",
                    "It only takes a minute to see what's new.",
                    "You can pick up right where you left off.",
                    "We think you'll like what you find.",
                ),
            ),
            (
                "Your welcome-back gift",
                (
                    "We saved you {offer_on} your next order.",
                    "The offer is yours until {deadline}.",
                    "No catch: it's our way of saying we'd love to see you again.",
                    "It works on anything in our store.",
                    "Just use it before it expires.",
                ),
            ),
        ),
        "offer": ("As a welcome-back gift, enjoy {offer_on} your next order.",),
        "close": ("We'd love to see you again.", "Whenever you're ready, we're here."),
        "cta": ("Come back and see", "See what's new", "Claim your welcome-back gift"),
        "sms": (
            "We miss you! Here's {offer_on} your next order.",
            "We miss you. Come see what's new.",
            "It's been a while. Come see what's new.",
        ),
    },
    "welcome": {
        "subjects": (
            "Welcome to {brand}",
            "Welcome, %FIRSTNAME%: {focus}",
            "You're in: welcome to {focus}",
            "Glad you're here: {focus}",
            "Welcome aboard, %FIRSTNAME%",
            "Let's get started with {focus}",
        ),
        "preheaders": (
            "Here's what to expect and how to get started.",
            "A quick hello and a few tips for getting started with {focus}.",
            "Your welcome gift is inside: {offer}.",
        ),
        "headings": ("Welcome to {focus}", "We're glad you're here", "You're in"),
        "intro": ("Welcome, and thanks for joining us.", "Thanks for signing up; we're glad to have you."),
        "sections": (
            (
                "What to expect",
                (
                    "We'll send you helpful ideas, news and the occasional offer.",
                    "You'll hear from us about once a week, never more.",
                    "Every email is written with you in mind.",
                    "You'll be the first to hear about new arrivals and events.",
                    "Subscribers also get early access to our offers.",
                ),
            ),
            (
                "Get started",
                (
                    "A good first step is to explore {focus}.",
                    "Our getting-started guide walks you through the basics.",
                    "Most people find their favorite within a few minutes.",
                    "Take your time and explore at your own pace.",
                    "Bookmark our website so it's easy to find again.",
                ),
            ),
            (
                "We're here to help",
                (
                    "Questions are always welcome; our team answers quickly.",
                    "Our help center has answers to the most common questions.",
                    "You can update your preferences at any time.",
                    "Our community is friendly and full of good advice.",
                    "We're always happy to hear from new members.",
                ),
            ),
        ),
        "offer": ("As a welcome gift, enjoy {offer_on} your first order.",),
        "close": ("Welcome aboard.", "We can't wait to get to know you."),
        "cta": ("Get started", "Explore now", "Take a look around"),
        "sms": ("Welcome to {brand}! Here's {offer_on} your first order.", "Welcome! Get started: {focus}."),
    },
    "event": {
        "subjects": (
            "You're invited: {focus}",
            "Join us for {focus}",
            "Save your seat for {focus}",
            "Join us {when}: {focus}",
            "See you at {focus}?",
            "Don't miss {focus}",
        ),
        "preheaders": (
            "Join us {when} for {focus}. Seats are limited.",
            "Save your seat for {focus} and bring your questions.",
            "An invitation to {focus}, with everything you need to know.",
        ),
        "headings": ("You're invited: {focus}", "Join us for {focus}", "Save your seat"),
        "intro": ("We'd love for you to join us for {focus}.", "You're invited to {focus}."),
        "sections": (
            (
                "When and where",
                (
                    "It all happens {when}.",
                    "The details and directions are on the event page.",
                    "Can't make it live? Register anyway and we'll share the highlights.",
                    "It's free to attend.",
                    "You can join from anywhere.",
                ),
            ),
            (
                "What you'll get",
                (
                    "You'll come away with practical ideas you can use right away.",
                    "There's time for your questions at the end.",
                    "You'll meet people who care about {focus} as much as you do.",
                    "Our speakers are people who do this work every day.",
                    "You'll also get the slides to keep.",
                ),
            ),
            (
                "How to join",
                (
                    "Registration takes less than a minute.",
                    "Seats are limited, so save yours early.",
                    "We'll send you a reminder before it starts.",
                    "Add it to your calendar so you don't forget.",
                    "Feel free to share the invitation with a colleague or friend.",
                ),
            ),
        ),
        "offer": ("Everyone who attends gets {offer}.",),
        "close": ("We hope to see you there.", "Bring a friend; everyone is welcome."),
        "cta": ("Save my seat", "Register now", "RSVP"),
        "sms": ("Join us {when} for {focus}.", "You're invited: {focus}."),
    },
    "product_launch": {
        "subjects": (
            "Introducing {focus}",
            "Meet {focus}",
            "New from {brand}: {focus}",
            "Just launched: {focus}",
            "Say hello to {focus}",
            "It's here: {focus}",
        ),
        "preheaders": (
            "The wait is over. Here's everything you need to know about {focus}.",
            "Be among the first to try {focus}.",
            "Launch offer: {offer_on} {focus}.",
        ),
        "headings": ("Introducing {focus}", "Meet {focus}", "Now available: {focus}"),
        "intro": (
            "Say hello to {focus}.",
            "We've been working on something new, and it's finally here: {focus}.",
        ),
        "sections": (
            (
                "Why we made it",
                (
                    "We built it after listening to what you asked for.",
                    "Every detail of {focus} was tested and refined.",
                    "We wanted something that makes everyday life a little easier.",
                    "It took many rounds of testing to get it right.",
                    "We're proud of every detail.",
                ),
            ),
            (
                "What makes it different",
                (
                    "It's simple to use, built to last and {adj}.",
                    "Early testers loved how quickly they got started.",
                    "It works with what you already have.",
                    "It's made from materials chosen to last.",
                    "And it looks as good as it works.",
                ),
            ),
            (
                "How to get it",
                (
                    "It's available today on our website.",
                    "Launch stock is limited, so early orders ship first.",
                    "Questions before you order? Our team is happy to help.",
                    "Delivery is quick, and returns are easy.",
                    "Reviews from early customers are already coming in.",
                ),
            ),
        ),
        "offer": ("For launch week, enjoy {offer_on} {focus}.",),
        "close": ("We can't wait for you to try it.", "We hope it becomes one of your favorites."),
        "cta": ("Discover it", "See it first", "Shop the launch"),
        "sms": ("Just launched: {focus}.", "New from {brand}: {focus}."),
    },
    "abandoned_cart": {
        "subjects": (
            "You left something behind",
            "Your cart is waiting, %FIRSTNAME%",
            "Still thinking it over?",
            "Your picks are saved: {focus}",
            "Don't forget {focus}",
            "Complete your order",
        ),
        "preheaders": (
            "Your cart is saved; finish your order in a few clicks.",
            "We saved your cart, plus {offer} to help you decide.",
            "Your picks are still available, for now.",
        ),
        "headings": ("Your cart is waiting", "You left something behind", "Still thinking it over?"),
        "intro": (
            "You left a few things in your cart, and we saved them for you.",
            "Your cart is still here, just as you left it.",
        ),
        "sections": (
            (
                "Your cart",
                (
                    "We've held on to {focus} for you.",
                    "Popular items can sell out, so we can't hold them forever.",
                    "Finishing your order takes less than a minute.",
                    "Prices and availability can change, so now is a good time.",
                    "Your details are saved, so checkout is quick.",
                ),
            ),
            (
                "Why order with us",
                (
                    "Shipping is fast and tracked from our door to yours.",
                    "Returns are easy if something isn't right.",
                    "Thousands of customers have rated us highly.",
                    "Every order is packed with care.",
                    "We stand behind everything we sell.",
                ),
            ),
            (
                "Need a hand?",
                (
                    "Questions about size, fit or delivery? We're happy to help.",
                    "You can pay the way you prefer.",
                    "Your details are stored securely.",
                    "Our team replies quickly, usually within a day.",
                    "We want your order to be exactly right.",
                ),
            ),
        ),
        "offer": ("To help you decide, here's {offer_on} your order.",),
        "close": ("Your cart is ready when you are.", "We hope to see you back soon."),
        "cta": ("Return to my cart", "Complete my order", "View my cart"),
        "sms": (
            "You left something in your cart. {offer} if you finish today.",
            "Your cart is saved. Finish your order.",
        ),
    },
    "follow_up": {
        "subjects": (
            "Following up on {focus}",
            "A quick follow-up: {focus}",
            "About {focus}",
            "Next steps: {focus}",
            "How did it go, %FIRSTNAME%?",
            "Checking in on {focus}",
        ),
        "preheaders": (
            "A short follow-up with the next steps.",
            "Everything you need after {focus}, in one place.",
            "A quick check-in and a few helpful links.",
        ),
        "headings": ("Following up on {focus}", "Next steps", "A quick check-in"),
        "intro": ("We wanted to follow up on {focus}.", "Just checking in after {focus}."),
        "sections": (
            (
                "A quick recap",
                (
                    "Here's a short recap of the key points.",
                    "We've gathered the most useful resources in one place.",
                    "You'll find everything on our website whenever you need it.",
                    "We've also added answers to the questions people ask most.",
                    "It's all there whenever you need a refresher.",
                ),
            ),
            (
                "Next steps",
                (
                    "The next step is simple, and it takes only a minute.",
                    "If you have questions, our team is happy to help.",
                    "We'd love to hear how things are going.",
                    "Every situation is different, so tell us what would help most.",
                    "We can set up a quick call if that's easier.",
                ),
            ),
            (
                "Tell us what you think",
                (
                    "Your feedback helps us improve {focus}.",
                    "A short survey takes about two minutes.",
                    "Every answer is read by a real person on our team.",
                    "Your answers help us decide what to improve next.",
                    "We'll share what we learn in a future email.",
                ),
            ),
        ),
        "offer": ("As a thank you, enjoy {offer_on} your next order.",),
        "close": ("Thanks again for your time.", "We're here whenever you need us."),
        "cta": ("See the next steps", "Share your feedback", "Continue"),
        "sms": ("Following up on {focus}.", "Quick check-in about {focus}."),
    },
    "re_engagement": {
        "subjects": (
            "Still interested in {focus}?",
            "Do you still want to hear from us?",
            "Should we stay in touch, %FIRSTNAME%?",
            "Let's catch up on {focus}",
            "Here's what you've missed: {focus}",
            "Is this still for you?",
        ),
        "preheaders": (
            "Let us know if you'd like to keep getting our emails.",
            "A quick catch-up on {focus}, and a question for you.",
            "We'd like to keep sending you the good stuff.",
        ),
        "headings": ("Still interested?", "Let's stay in touch", "Here's what you've missed"),
        "intro": (
            "We haven't heard from you in a while, so we wanted to check in.",
            "It's been some time since you opened one of our emails.",
        ),
        "sections": (
            (
                "What you've missed",
                (
                    "Recently we've shared news about {focus}.",
                    "Our most popular recent posts are just a click away.",
                    "We've also made our emails shorter and more useful.",
                    "We've also started sharing more tips and fewer announcements.",
                    "Subscribers get early access to offers and events.",
                ),
            ),
            (
                "You choose",
                (
                    "To keep hearing from us, just tap the button below.",
                    "You can also pick how often we write.",
                    "If you'd rather not hear from us, you can unsubscribe at the bottom of this email.",
                    "We'd rather send fewer emails that you enjoy than many you ignore.",
                    "Either way, we respect your choice.",
                ),
            ),
        ),
        "offer": ("If you stay, we'll send you {offer} as a thank you.",),
        "close": ("Whatever you choose, thanks for being with us.", "We hope to stay in touch."),
        "cta": ("Keep me subscribed", "Yes, keep me posted", "Update my preferences"),
        "sms": (
            "Still interested in {focus}? We'd love to stay in touch.",
            "We miss you. Catch up: {focus}.",
        ),
    },
    "thank_you": {
        "subjects": (
            "Thank you, %FIRSTNAME%",
            "A thank you for {focus}",
            "Thanks for {focus}",
            "From all of us at {brand}: thank you",
            "We appreciate you, %FIRSTNAME%",
            "A note of thanks for {focus}",
        ),
        "preheaders": (
            "A short note to say how much {focus} means to us.",
            "We couldn't do it without you, so here's a little thank you.",
            "Our thanks, plus {offer} on us.",
        ),
        "headings": ("Thank you", "We appreciate you", "Thanks for {focus}"),
        "intro": ("We wanted to say a simple thank you for {focus}.", "Thank you for {focus}."),
        "sections": (
            (
                "What it means to us",
                (
                    "It means more to us than we can say.",
                    "People like you are the reason we do what we do.",
                    "Every order and every message helps our small team grow.",
                    "We notice every kind review and every recommendation.",
                    "Your support helps us do more of what we love.",
                ),
            ),
            (
                "What's next",
                (
                    "We'll keep working to earn your trust.",
                    "We have more in store, and you'll be the first to know.",
                    "If there's anything we can do better, please tell us.",
                    "We have a few surprises planned for the months ahead.",
                    "Keep an eye on your inbox.",
                ),
            ),
        ),
        "offer": ("As a small thank you, enjoy {offer_on} your next order.",),
        "close": ("Thank you again.", "We're grateful to have you with us."),
        "cta": ("See what's new", "Visit us", "Say hello"),
        "sms": ("Thank you for {focus}.", "Thanks for {focus}. Here's {offer} on us."),
    },
}

# Filler that fits any purpose, used only for long copy once the purpose's own lines are used up.
GENERIC_LINES: tuple[str, ...] = (
    "We put this together with {audience} in mind.",
    "At {brand}, we only send what we think is worth your time.",
    "You can always find more on our website.",
    "We'd love to hear what you think about {focus}.",
    "Your feedback shapes what we do next.",
    "Know someone who'd like this? Feel free to forward this email.",
    "We'll keep you posted as things develop.",
    "Follow along on social media for behind-the-scenes updates.",
    "Every detail was chosen with care.",
    "If you have a question, our team is always glad to hear from you.",
    "We read every message we receive.",
    "Thanks for taking the time to read this.",
    "We're always looking for ways to make things better for you.",
    "Good things take time, and we think this was worth the wait.",
    "We'd rather do a few things well than many things badly.",
    "Small details make a big difference, and we sweat every one of them.",
    "We love seeing what our customers do with what we make.",
    "Tag us when you share, so we can see it too.",
    "Our team is made up of people who use what we sell.",
    "We're grateful for the trust you place in us.",
)

# What feedback text asks to mention, turned into a sentence when the phrase is well known.
KNOWN_MENTIONS: dict[str, str] = {
    "free shipping": "Shipping is free on every order.",
    "free delivery": "Delivery is free on every order.",
    "free returns": "Returns are free and easy.",
    "easy returns": "Returns are easy if something isn't right.",
    "money-back guarantee": "Every order comes with our money-back promise.",
    "satisfaction guarantee": "Every order comes with our satisfaction promise.",
    "gift wrapping": "Gift wrapping is available at checkout.",
    "limited stock": "Stock is limited.",
    "sustainab": "Sustainability guides every choice we make.",
    "eco": "We choose eco-friendly materials wherever we can.",
}
# Short openers for SMS by tone, and the purposes where each reads naturally.
SMS_LEADS: dict[str, tuple[str, frozenset[str]]] = {
    "playful": (
        "Psst! ",
        frozenset({"promotion", "product_launch", "event", "announcement", "newsletter", "win_back"}),
    ),
    "excited": ("Big news! ", frozenset({"promotion", "product_launch", "event", "announcement"})),
    "urgent": ("Last call: ", frozenset({"promotion", "event", "abandoned_cart"})),
    "casual": (
        "Hey! ",
        frozenset({"promotion", "product_launch", "event", "announcement", "newsletter", "win_back"}),
    ),
}
CTA_URGENT: tuple[str, ...] = ("Shop before it ends", "Claim it today", "Don't miss out")
FOOTER_WITH_BRAND = (
    "You're receiving this email because you signed up for updates from {brand}. "
    "Unsubscribe: %UNSUBSCRIBELINK%"
)
FOOTER = "You're receiving this email because you signed up for our updates. Unsubscribe: %UNSUBSCRIBELINK%"
SMS_OPT_OUT = "Reply STOP to opt out"
