"""Import every tool module so the registry is complete."""

from tools import (
    account,  # noqa: F401
    automations,  # noqa: F401
    billing,  # noqa: F401
    campaigns,  # noqa: F401
    capabilities,  # noqa: F401
    contacts,  # noqa: F401
    content,  # noqa: F401
    deals,  # noqa: F401
    drafting,  # noqa: F401
    ideas,  # noqa: F401
    knowledge,  # noqa: F401
    reports,  # noqa: F401
    scores,  # noqa: F401
    segments,  # noqa: F401
)
