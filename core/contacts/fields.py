"""Typed values: custom-field parsing plus the standard contact fields' formats (email, phone, language...).

Segments reuse ``parse_field_value`` so a condition like "Score > 10" is checked exactly like a stored value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.enums import FieldType
from core.errors import InvalidRequest, invalid_choice, nearest_names

FieldValue = str | Decimal | date

TEXT_MAX = 255
# Text areas hold long free text (notes, AI summaries) but not whole documents.
TEXTAREA_MAX = 65_535
NUMBER_PLACES = 4
# SQLite keeps NUMERIC as a float, so 15 significant digits (11 + 4 decimals) is the largest exact range.
NUMBER_MAX = Decimal("99999999999.9999")
OPTION_MAX = 255
MAX_OPTIONS = 500

# ISO 639-1 codes with English names (the "Preferred Language" field and language-type custom fields).
LANGUAGES: dict[str, str] = {
    "aa": "Afar", "ab": "Abkhazian", "ae": "Avestan", "af": "Afrikaans", "ak": "Akan", "am": "Amharic",
    "an": "Aragonese", "ar": "Arabic", "as": "Assamese", "av": "Avaric", "ay": "Aymara", "az": "Azerbaijani",
    "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian", "bh": "Bihari", "bi": "Bislama", "bm": "Bambara",
    "bn": "Bengali", "bo": "Tibetan", "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "ce": "Chechen",
    "ch": "Chamorro", "co": "Corsican", "cr": "Cree", "cs": "Czech", "cu": "Church Slavic", "cv": "Chuvash",
    "cy": "Welsh", "da": "Danish", "de": "German", "dv": "Divehi", "dz": "Dzongkha", "ee": "Ewe",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "ff": "Fulah", "fi": "Finnish", "fj": "Fijian", "fo": "Faroese", "fr": "French",
    "fy": "Western Frisian", "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "gn": "Guarani",
    "gu": "Gujarati", "gv": "Manx", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "ho": "Hiri Motu",
    "hr": "Croatian", "ht": "Haitian", "hu": "Hungarian", "hy": "Armenian", "hz": "Herero",
    "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue", "ig": "Igbo", "ii": "Sichuan Yi",
    "ik": "Inupiaq", "io": "Ido", "is": "Icelandic", "it": "Italian", "iu": "Inuktitut", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kg": "Kongo", "ki": "Kikuyu", "kj": "Kuanyama", "kk": "Kazakh",
    "kl": "Kalaallisut", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "kr": "Kanuri", "ks": "Kashmiri",
    "ku": "Kurdish", "kv": "Komi", "kw": "Cornish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish",
    "lg": "Ganda", "li": "Limburgish", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "lu": "Luba-Katanga",
    "lv": "Latvian", "mg": "Malagasy", "mh": "Marshallese", "mi": "Maori", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese",
    "na": "Nauru", "nb": "Norwegian Bokmål", "nd": "North Ndebele", "ne": "Nepali", "ng": "Ndonga",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "nr": "South Ndebele", "nv": "Navajo",
    "ny": "Chichewa", "oc": "Occitan", "oj": "Ojibwa", "om": "Oromo", "or": "Oriya", "os": "Ossetian",
    "pa": "Punjabi", "pi": "Pali", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua",
    "rm": "Romansh", "rn": "Rundi", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit",
    "sc": "Sardinian", "sd": "Sindhi", "se": "Northern Sami", "sg": "Sango", "si": "Sinhala", "sk": "Slovak",
    "sl": "Slovenian", "sm": "Samoan", "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian",
    "ss": "Swati", "st": "Southern Sotho", "su": "Sundanese", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "tg": "Tajik", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog",
    "tn": "Tswana", "to": "Tonga", "tr": "Turkish", "ts": "Tsonga", "tt": "Tatar", "tw": "Twi",
    "ty": "Tahitian", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "ve": "Venda",
    "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon", "wo": "Wolof", "xh": "Xhosa", "yi": "Yiddish",
    "yo": "Yoruba", "za": "Zhuang", "zh": "Chinese", "zu": "Zulu",
}

# ISO 3166-1 alpha-2 country codes.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
    BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
    ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
    IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU
    NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM
    SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
    VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)

# Standard personalization tags a custom field must not shadow.
RESERVED_TAGS = frozenset(
    {"%EMAIL%", "%FIRSTNAME%", "%LASTNAME%", "%FULLNAME%", "%PHONE%", "%ORGNAME%", "%COUNTRY%", "%CITY%",
     "%TIMEZONE%", "%PREFERRED_LANGUAGE%", "%TODAY%", "%SUBSCRIBERID%", "%UNSUBSCRIBELINK%"}
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_E164_RE = re.compile(r"^\+[1-9]\d{7,14}$")


def is_blank(raw: object) -> bool:
    """Return True for None or a whitespace-only string (a request to clear the value)."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def personalization_tag(name: str) -> str:
    """Derive the personalization tag of a field name: 'Favorite color' -> '%FAVORITE_COLOR%'."""
    # Fold accents so 'Città' becomes %CITTA%, not %CITT%.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    core = re.sub(r"[^A-Z0-9]+", "_", ascii_name.upper()).strip("_")
    if not core:
        raise InvalidRequest(
            f"Field name {name!r} has no letters or digits to build a personalization tag from; "
            "use a name like 'Favorite color'.",
            field="name",
        )
    return f"%{core}%"


def parse_email(raw: str) -> str:
    """Normalise and validate an email address (lower-cased)."""
    email = (raw or "").strip().lower()
    if not email:
        raise InvalidRequest("Email is required; give an address like 'jane@example.com'.", field="email")
    if len(email) > 254 or ".." in email or not _EMAIL_RE.match(email) or len(email.split("@")[0]) > 64:
        raise InvalidRequest(
            f"Email {raw!r} is not a valid address; use the form 'name@example.com'.", field="email"
        )
    return email


def parse_phone(raw: str) -> str:
    """Normalise a phone number to E.164 ('+14155550123'), accepting spaces, dashes, dots and brackets."""
    compact = _PHONE_SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164_RE.match(compact):
        hint = (
            "it needs the country code, e.g. '+14155550123' or '+44 20 7946 0958'"
            if compact and not compact.startswith("+")
            else "use international format: '+', country code and 8 to 15 digits, e.g. '+14155550123'"
        )
        raise InvalidRequest(f"Phone {raw!r} is not a valid phone number; {hint}.", field="phone")
    return compact


def parse_language(raw: object, *, field: str = "Preferred language") -> str:
    """Return the ISO 639-1 code for a code ('fr', 'fr-CA') or an English name ('French')."""
    text = str(raw).strip()
    code = re.split(r"[-_]", text, maxsplit=1)[0].lower()
    if code in LANGUAGES:
        return code
    by_name = {name.lower(): c for c, name in LANGUAGES.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    near = nearest_names(text, LANGUAGES.values())
    hint = (" Did you mean " + ", ".join(f"{n!r} ({_code_of(n)})" for n in near) + "?") if near else ""
    raise InvalidRequest(
        f"{field} {raw!r} is not a known language; use an ISO 639-1 code like 'en', 'fr' or 'de'.{hint}",
        field=field,
    )


def _code_of(language_name: str) -> str:
    return next(c for c, n in LANGUAGES.items() if n == language_name)


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def parse_timezone(raw: str) -> str:
    """Return the canonical IANA zone name ('america/new_york' -> 'America/New_York')."""
    text = raw.strip()
    zone = _zones_by_lower().get(text.lower())
    if zone is not None:
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    near = nearest_names(text.replace(" ", "_"), _zones_by_lower().values())
    hint = (" Did you mean " + ", ".join(repr(n) for n in near) + "?") if near else ""
    raise InvalidRequest(
        f"Time zone {raw!r} is not a known IANA zone; use a name like 'America/New_York' or "
        f"'Europe/Paris'.{hint}",
        field="timezone",
    )


def parse_country(raw: str) -> str:
    """Return an ISO 3166-1 alpha-2 country code, upper-cased."""
    code = raw.strip().upper()
    if code == "UK":
        code = "GB"
    if code not in COUNTRIES:
        raise InvalidRequest(
            f"Country {raw!r} is not an ISO 3166-1 two-letter code; use a code like 'US', 'GB' or 'FR'.",
            field="country",
        )
    return code


def parse_text(raw: object, *, field: str, max_len: int) -> str:
    """Return stripped text of at most ``max_len`` characters (numbers are taken as their digits)."""
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise InvalidRequest(f"{field} must be text, got {raw!r}.", field=field)
    text = raw.strip()
    if len(text) > max_len:
        raise InvalidRequest(
            f"{field} is {len(text):,} characters long; the limit is {max_len:,}. Shorten it"
            + (" or use a text area field." if max_len == TEXT_MAX else "."),
            field=field,
        )
    return text


def parse_number(raw: object, *, field: str) -> Decimal:
    """Return a Decimal with at most 4 decimal places within the storable range."""
    if isinstance(raw, bool):
        raise InvalidRequest(f"{field} must be a number, got {raw!r}.", field=field)
    not_a_number = InvalidRequest(f"{field} {raw!r} is not a number; use digits like 42 or 9.5.", field=field)
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise not_a_number from None
    if not value.is_finite():
        raise not_a_number
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -NUMBER_PLACES:
        rounded = value.quantize(Decimal(1).scaleb(-NUMBER_PLACES))
        raise InvalidRequest(
            f"{field} {raw!r} has more than {NUMBER_PLACES} decimal places; round it, e.g. {rounded}.",
            field=field,
        )
    if abs(value) > NUMBER_MAX:
        raise InvalidRequest(
            f"{field} {raw!r} is out of range; numbers must be between -{NUMBER_MAX:,.0f} and "
            f"{NUMBER_MAX:,.0f}.",
            field=field,
        )
    return value


def parse_date(raw: object, *, field: str) -> date:
    """Return a date from a date object or an ISO 'YYYY-MM-DD' string."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidRequest(
            f"{field} {raw!r} is not a date; use the ISO format YYYY-MM-DD, e.g. '2026-06-15'.", field=field
        ) from None


def parse_dropdown(raw: object, *, field: str, options: list[str]) -> str:
    """Return the option matching ``raw`` (case-insensitive), spelled as the field defines it."""
    text = str(raw).strip()
    for option in options:
        if option.lower() == text.lower():
            return option
    raise invalid_choice(field, raw, options)


def parse_field_value(
    field_type: FieldType | str, raw: object, options: list[str] | None = None, *, field: str = "Value"
) -> FieldValue:
    """Parse ``raw`` into the typed value a field of ``field_type`` stores, or raise InvalidRequest.

    ``field`` names the field in error messages. Blank input is refused here; callers decide whether blank
    means "clear the value" (see ``is_blank``).
    """
    kind = field_type_of(field_type)
    if is_blank(raw):
        raise InvalidRequest(f"{field} is empty; give a value (or clear the field instead).", field=field)
    if kind == FieldType.TEXT:
        return parse_text(raw, field=field, max_len=TEXT_MAX)
    if kind == FieldType.TEXTAREA:
        return parse_text(raw, field=field, max_len=TEXTAREA_MAX)
    if kind == FieldType.NUMBER:
        return parse_number(raw, field=field)
    if kind == FieldType.DATE:
        return parse_date(raw, field=field)
    if kind == FieldType.DROPDOWN:
        return parse_dropdown(raw, field=field, options=list(options or []))
    return parse_language(raw, field=field)


def field_type_of(raw: FieldType | str) -> FieldType:
    """Return the FieldType named by ``raw`` ('Number', 'text area' and 'textarea' all work)."""
    text = str(raw.value if isinstance(raw, FieldType) else raw).strip().lower().replace(" ", "")
    try:
        return FieldType(text)
    except ValueError:
        raise invalid_choice("Field type", raw, [t.value for t in FieldType]) from None


def number_out(value: Decimal) -> Decimal:
    """Drop the storage padding ('42.5000' -> '42.5') without switching to exponent notation."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def value_column(field_type: FieldType | str) -> str:
    """Name the ContactFieldValue column that holds values of ``field_type``."""
    kind = field_type_of(field_type)
    if kind == FieldType.NUMBER:
        return "value_number"
    if kind == FieldType.DATE:
        return "value_date"
    return "value_text"


def parse_options(field_type: FieldType, options: list[str] | None, *, field: str) -> list[str]:
    """Validate the options of a dropdown field (required, unique, non-blank); other types take none."""
    if field_type != FieldType.DROPDOWN:
        if options:
            raise InvalidRequest(
                f"Field {field!r} is of type {field_type.value!r}; only dropdown fields take options.",
                field="options",
            )
        return []
    cleaned: list[str] = []
    for option in options or []:
        text = str(option).strip()
        if not text:
            raise InvalidRequest(f"Dropdown {field!r} has an empty option; remove it.", field="options")
        if len(text) > OPTION_MAX:
            raise InvalidRequest(
                f"Dropdown option {text[:40]!r}... is longer than {OPTION_MAX} characters.", field="options"
            )
        if text.lower() in (c.lower() for c in cleaned):
            raise InvalidRequest(f"Dropdown {field!r} lists {text!r} twice; keep one.", field="options")
        cleaned.append(text)
    if not cleaned:
        raise InvalidRequest(
            f"Dropdown {field!r} needs at least one option, e.g. options=['Red', 'Green', 'Blue'].",
            field="options",
        )
    if len(cleaned) > MAX_OPTIONS:
        raise InvalidRequest(
            f"Dropdown {field!r} has {len(cleaned)} options; the limit is {MAX_OPTIONS}.", field="options"
        )
    return cleaned
