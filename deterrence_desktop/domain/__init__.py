"""The focused-deterrence domain: plain records, enumerations and validation rules.

Nothing here knows about SQL or Qt; the store maps these records to tables and
the services pass them between layers.
"""
from .enums import *  # noqa: F401,F403
from .errors import *  # noqa: F401,F403
from .model import *  # noqa: F401,F403
