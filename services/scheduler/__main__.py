"""`python -m services.scheduler`: the scheduler as its own process."""

from services.scheduler.service import SchedulerService
from shared.runtime.service import run

if __name__ == "__main__":
    run(SchedulerService())
