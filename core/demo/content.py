"""Static vocabularies for the demo account: people, places, products and campaign copy."""

from __future__ import annotations

# (country, weight, [(time zone, weight, [cities])], [(language, weight)], phone prefix)
COUNTRIES: list[tuple[str, float, list[tuple[str, float, list[str]]], list[tuple[str, float]], str]] = [
    ("US", 0.55, [
        ("America/New_York", 0.47, ["New York", "Boston", "Atlanta", "Miami", "Philadelphia"]),
        ("America/Chicago", 0.29, ["Chicago", "Dallas", "Houston", "Minneapolis", "Austin"]),
        ("America/Denver", 0.07, ["Denver", "Salt Lake City", "Boise"]),
        ("America/Los_Angeles", 0.17, ["Los Angeles", "San Francisco", "Seattle", "Portland", "San Diego"]),
    ], [("en", 0.9), ("es", 0.1)], "+1"),
    ("CA", 0.07, [
        ("America/Toronto", 0.7, ["Toronto", "Ottawa", "Montreal"]),
        ("America/Vancouver", 0.3, ["Vancouver", "Victoria"]),
    ], [("en", 0.8), ("fr", 0.2)], "+1"),
    ("GB", 0.09, [("Europe/London", 1.0, ["London", "Manchester", "Bristol", "Leeds", "Edinburgh"])],
     [("en", 1.0)], "+44"),
    ("IE", 0.01, [("Europe/Dublin", 1.0, ["Dublin", "Cork"])], [("en", 1.0)], "+353"),
    ("DE", 0.05, [("Europe/Berlin", 1.0, ["Berlin", "Munich", "Hamburg", "Cologne"])], [("de", 1.0)], "+49"),
    ("FR", 0.04, [("Europe/Paris", 1.0, ["Paris", "Lyon", "Marseille", "Bordeaux"])], [("fr", 1.0)], "+33"),
    ("ES", 0.03, [("Europe/Madrid", 1.0, ["Madrid", "Barcelona", "Valencia", "Seville"])], [("es", 1.0)], "+34"),
    ("IT", 0.02, [("Europe/Rome", 1.0, ["Rome", "Milan", "Turin"])], [("it", 1.0)], "+39"),
    ("NL", 0.02, [("Europe/Amsterdam", 1.0, ["Amsterdam", "Rotterdam", "Utrecht"])],
     [("nl", 0.7), ("en", 0.3)], "+31"),
    ("AU", 0.05, [
        ("Australia/Sydney", 0.75, ["Sydney", "Melbourne", "Brisbane"]),
        ("Australia/Perth", 0.25, ["Perth"]),
    ], [("en", 1.0)], "+61"),
    ("BR", 0.03, [("America/Sao_Paulo", 1.0, ["São Paulo", "Rio de Janeiro", "Curitiba"])], [("pt", 1.0)], "+55"),
    ("MX", 0.04, [("America/Mexico_City", 1.0, ["Mexico City", "Guadalajara", "Monterrey"])],
     [("es", 1.0)], "+52"),
]

LANGUAGES = ["en", "es", "fr", "de", "it", "nl", "pt"]

FIRST_NAMES: dict[str, list[str]] = {
    "en": [
        "James", "Mary", "Olivia", "Liam", "Emma", "Noah", "Ava", "Sophia", "Jackson", "Isabella", "Lucas",
        "Mia", "Ethan", "Amelia", "Mason", "Harper", "Logan", "Evelyn", "Aiden", "Abigail", "Elijah", "Emily",
        "Benjamin", "Ella", "Henry", "Grace", "Owen", "Chloe", "Samuel", "Zoe", "Daniel", "Lily", "Jack",
        "Hannah", "Ryan", "Nora", "Nathan", "Riley", "Caleb", "Layla", "Dylan", "Aria", "Priya", "Wei",
        "Aisha", "Omar", "Kenji", "Fatima", "Diego", "Maya",
    ],
    "es": ["Sofía", "Mateo", "Valentina", "Santiago", "Camila", "Sebastián", "Lucía", "Diego", "Martina",
           "Alejandro", "Elena", "Javier", "Carmen", "Pablo", "Isabel", "Andrés", "Gabriela", "Luis"],
    "fr": ["Camille", "Louis", "Léa", "Gabriel", "Chloé", "Hugo", "Manon", "Jules", "Inès", "Arthur",
           "Sarah", "Raphaël", "Juliette", "Nathan", "Louise", "Théo"],
    "de": ["Lukas", "Anna", "Leon", "Lena", "Finn", "Marie", "Jonas", "Laura", "Paul", "Julia", "Felix",
           "Sophie", "Maximilian", "Hannah", "Elias", "Lea"],
    "it": ["Francesco", "Giulia", "Alessandro", "Sofia", "Lorenzo", "Aurora", "Matteo", "Chiara", "Leonardo",
           "Martina", "Andrea", "Giorgia"],
    "nl": ["Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Levi", "Sophie", "Finn", "Anna", "Milan", "Fleur"],
    "pt": ["Miguel", "Helena", "Arthur", "Alice", "Heitor", "Laura", "Davi", "Manuela", "Bernardo", "Beatriz",
           "Gabriel", "Mariana"],
}

LAST_NAMES: dict[str, list[str]] = {
    "en": [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
        "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins",
        "Edwards", "Stewart", "Murphy", "Cook", "Rogers", "Patel", "Chen", "Nguyen", "Kim", "Singh",
    ],
    "es": ["García", "Martínez", "López", "Sánchez", "Pérez", "González", "Rodríguez", "Fernández", "Gómez",
           "Díaz", "Ruiz", "Hernández", "Jiménez", "Moreno", "Álvarez", "Romero", "Torres", "Ramírez"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
           "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
           "Greco", "Bruno", "Gallo"],
    "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
           "Smit", "Meijer", "de Boer", "Mulder"],
    "pt": ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
           "Gomes", "Costa", "Ribeiro"],
}

# (domain, weight, probability its reader uses Apple Mail with Mail Privacy Protection)
CONSUMER_DOMAINS: list[tuple[str, float, float]] = [
    ("gmail.com", 0.44, 0.28),
    ("yahoo.com", 0.10, 0.28),
    ("icloud.com", 0.09, 0.93),
    ("me.com", 0.02, 0.93),
    ("outlook.com", 0.08, 0.18),
    ("hotmail.com", 0.08, 0.18),
    ("aol.com", 0.03, 0.25),
    ("proton.me", 0.02, 0.05),
    ("gmx.net", 0.03, 0.12),
    ("live.com", 0.03, 0.18),
    ("comcast.net", 0.03, 0.30),
    ("mail.com", 0.05, 0.20),
]
# Outlook-family inboxes get Microsoft's link scanning more often than other webmail.
MICROSOFT_DOMAINS = {"outlook.com", "hotmail.com", "live.com"}

COMPANY_WORDS_A = [
    "Northwind", "Bluebird", "Summit", "Cedar", "Harbor", "Pioneer", "Maple", "Granite", "Lumen", "Atlas",
    "Evergreen", "Riverbend", "Copper", "Silverline", "Brightside", "Oakridge", "Sunset", "Redwood", "Juniper",
    "Meridian", "Beacon", "Crescent", "Keystone", "Horizon", "Willow", "Falcon", "Sterling", "Aspen",
]
COMPANY_WORDS_B = [
    "Outfitters", "Boutique", "Wellness", "Hotels", "Fitness", "Gifts", "Supply Co", "Market", "Studios",
    "Concierge", "Partners", "Retail Group", "Sports", "Home", "Events", "Spa", "Cafés", "Gym Collective",
]
COMPANY_INDUSTRIES = [
    "E-Commerce/Retail", "Fitness/Nutrition", "Travel/Hospitality", "Consulting/Agency", "Entertainment/Events",
    "Healthcare", "Software", "Real Estate",
]

# Interests double as product categories, interest tags and campaign topics.
INTERESTS = ["Running", "Yoga", "Hiking", "Home Decor", "Skincare", "Gadgets", "Kids", "Coffee"]

PRODUCTS: dict[str, list[tuple[str, int]]] = {
    "Running": [("Trail Running Shoes", 12900), ("Lightweight Running Jacket", 8900), ("Running Socks 3-Pack", 1800),
                ("Hydration Vest", 6400), ("Reflective Cap", 2400)],
    "Yoga": [("Cork Yoga Block", 2200), ("Eco Yoga Mat", 7900), ("Seamless Leggings", 6800),
             ("Meditation Cushion", 4900), ("Yoga Strap", 1400)],
    "Hiking": [("Waterproof Hiking Boots", 17900), ("Daypack 24L", 8400), ("Trekking Poles", 6900),
               ("Merino Base Layer", 7400), ("Insulated Bottle", 3200)],
    "Home Decor": [("Linen Throw Blanket", 8800), ("Ceramic Vase", 4200), ("Soy Candle Trio", 3600),
                   ("Woven Storage Basket", 3900), ("Table Lamp", 11900)],
    "Skincare": [("Vitamin C Serum", 3800), ("Daily Moisturizer SPF 30", 2900), ("Clay Mask", 2400),
                 ("Gentle Cleanser", 1900), ("Night Repair Cream", 5200)],
    "Gadgets": [("Wireless Earbuds", 12900), ("Smart Water Bottle", 5900), ("Portable Charger", 3900),
                ("Fitness Tracker", 9900), ("Bluetooth Speaker", 7900)],
    "Kids": [("Kids Rain Jacket", 4900), ("Wooden Puzzle Set", 2900), ("Kids Sneakers", 5400),
             ("Art Supply Kit", 3400), ("Plush Bear", 2200)],
    "Coffee": [("Single-Origin Beans 1kg", 3400), ("Pour-Over Kit", 4800), ("Burr Grinder", 13900),
               ("Insulated Travel Mug", 2800), ("Cold Brew Pitcher", 3100)],
}

SITE_PAGES = ["/", "/collections/new", "/sale", "/about", "/blog", "/cart", "/account", "/shipping", "/gift-cards"]

NEWSLETTER_SUBJECTS = [
    "{month} at {store}: new arrivals, stories and tips",
    "Your {month} edit: what we're loving right now",
    "The {month} journal: {topic} picks and a few surprises",
    "{month} news: fresh {topic} finds inside",
    "Inside {store} this {month}",
]
PROMO_SUBJECTS = [
    "{pct}% off {topic} this weekend only",
    "48 hours only: free shipping on everything",
    "Last chance: up to {pct}% off {topic}",
    "Our {topic} sale is on: save {pct}%",
    "A little something for you: {pct}% off your next order",
    "Flash sale: {topic} favourites from ${price}",
]
SEASONAL_PROMOS: dict[int, list[str]] = {
    1: ["New year, new gear: {pct}% off {topic}"],
    2: ["Valentine's gifts they'll actually love"],
    3: ["Spring refresh: {pct}% off {topic}"],
    5: ["Mother's Day gift guide: order by Thursday"],
    6: ["Summer sale starts now: up to {pct}% off"],
    7: ["Mid-summer sale: {topic} from ${price}"],
    8: ["Back to school: {pct}% off Kids"],
    9: ["Fall favourites are here"],
    11: ["Black Friday: {pct}% off sitewide", "Cyber Monday: our best prices end tonight"],
    12: ["The holiday gift guide is here", "Last shipping day for holiday delivery"],
}
ARRIVAL_SUBJECTS = [
    "Just landed: new {topic} styles",
    "Fresh drop: {topic} essentials for the season",
    "New in {topic}: be the first to shop",
    "Back in stock: the {topic} bestsellers you asked for",
]
VIP_SUBJECTS = [
    "VIP early access: our biggest sale starts now",
    "A thank-you for our VIPs: {pct}% off, just for you",
    "You're invited: VIP preview of new {topic}",
]
SMS_BODIES = [
    "{store}: {pct}% off {topic} today only! Shop: {url} Reply STOP to opt out",
    "{store}: Flash sale, free shipping on all orders until midnight. {url} Reply STOP to opt out",
    "{store}: New {topic} just dropped. Take a look: {url} Reply STOP to opt out",
]
PREHEADERS = [
    "Plus free returns on every order.",
    "Hand-picked for you by our team.",
    "Don't miss out: limited stock.",
    "Open for a little inspiration.",
    "Ends soon, shop while it lasts.",
]

FAILURE_REASONS = [
    "Sending stopped: the From address domain {domain} is not authenticated (no DKIM or SPF record), "
    "so the campaign was not sent. Authenticate the domain under Settings > Domains, then resend.",
    "Sending stopped: the account reached its monthly sending limit before this campaign could go out. "
    "Upgrade the plan or wait for the limit to reset, then resend.",
]

# Scanner user agents and the URL-rewriting services they come from.
SCANNER_AGENTS = [
    "Mozilla/5.0 (compatible; MSOffice 16; SafeLinks)",
    "Barracuda Sentinel (EE)",
    "Mozilla/5.0 (compatible; proofpoint-urldefense)",
    "Mimecast-URL-Protect/1.0",
    "Cisco Secure Email Threat Defense",
]
HUMAN_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Microsoft Outlook 16.0",
]
MPP_AGENT = "Mozilla/5.0"

USERS = [
    ("Alex Morgan", "alex", "admin", True),
    ("Jordan Lee", "jordan", "manager", False),
    ("Priya Shah", "priya", "user", False),
    ("Sam Carter", "sam", "user", False),
    ("Dana Brooks", "dana", "user", False),
]

SAVED_RESPONSES: dict[str, list[tuple[str, str, str]]] = {
    "Orders": [
        ("Order status", "Your order is on its way",
         "Hi %FIRSTNAME%, thanks for your order! It shipped today; you can follow it with the tracking link "
         "in your confirmation email."),
        ("Order delayed", "A quick update on your order",
         "Hi %FIRSTNAME%, your order is taking a little longer than planned. We expect it to ship within "
         "3 business days and we've added free express shipping to make up for the wait."),
    ],
    "Returns": [
        ("Return instructions", "How to return your item",
         "Hi %FIRSTNAME%, returns are free within 30 days. Print the label from your account page, pack the "
         "item and drop it at any carrier location."),
        ("Refund issued", "Your refund is on its way",
         "Hi %FIRSTNAME%, we've issued your refund. It usually appears on your statement within 5-7 days."),
    ],
    "Wholesale": [
        ("Wholesale intro", "Wholesale with Demo Store",
         "Hi %FIRSTNAME%, thanks for your interest in stocking our products. I've attached our wholesale "
         "catalogue and price list; minimum order is $500."),
        ("Proposal follow-up", "Following up on our proposal",
         "Hi %FIRSTNAME%, just checking whether you had a chance to review the proposal. Happy to walk you "
         "through it on a quick call this week."),
        ("Meeting request", "15 minutes this week?",
         "Hi %FIRSTNAME%, would you have 15 minutes this week to talk about your store's needs?"),
    ],
}

TASK_TITLES = {
    "email": ["Send intro email to {first}", "Email pricing to {first}", "Follow up by email with {first}"],
    "call": ["Call {first} about next steps", "Discovery call with {first}", "Check in with {first}"],
    "meeting": ["Product demo with {company}", "Review proposal with {company}", "Sample review meeting"],
    "todo": ["Prepare proposal for {company}", "Send samples to {company}", "Update pricing sheet"],
}
NOTE_BODIES = [
    "{first} wants to stock our {topic} range in {n} locations; budget confirmed for this quarter.",
    "Spoke with {first}: decision expected after their team meeting next week.",
    "{company} asked for net-30 terms and a volume discount above 200 units.",
    "Sent samples to {company}; {first} will share feedback from the store managers.",
    "{first} is comparing us with two other suppliers; price is the main concern.",
    "Good call with {first}. They loved the {topic} line and want a proposal by Friday.",
]
