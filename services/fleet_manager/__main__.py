from services.fleet_manager.service import FleetManager
from shared.runtime.service import run

run(FleetManager())
