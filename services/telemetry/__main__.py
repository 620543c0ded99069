from services.telemetry.service import Telemetry
from shared.runtime.service import run

run(Telemetry())
