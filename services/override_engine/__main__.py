"""`python -m services.override_engine`: the override-engine as its own process."""

from services.override_engine.service import OverrideEngine
from shared.runtime.service import run

run(OverrideEngine())
