"""Import every tool module so the registry is complete."""

from tools import account  # noqa: F401
from tools import contacts  # noqa: F401
from tools import deals  # noqa: F401
from tools import knowledge  # noqa: F401
from tools import billing  # noqa: F401
from tools import content  # noqa: F401
from tools import segments  # noqa: F401
from tools import campaigns  # noqa: F401
from tools import reports  # noqa: F401
from tools import capabilities  # noqa: F401
from tools import automations  # noqa: F401
from tools import ideas  # noqa: F401
from tools import drafting  # noqa: F401
