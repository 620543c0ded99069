"""`python -m services.scaler`: the scaler service as its own process."""

from services.scaler.service import ScalerService
from shared.runtime.service import run

if __name__ == "__main__":
    run(ScalerService())
