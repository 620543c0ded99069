from services.gateway.service import Gateway
from shared.runtime.service import run

run(Gateway())
