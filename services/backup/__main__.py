"""`python -m services.backup`: the backup service as its own process."""

from services.backup.service import BackupService
from shared.runtime.service import run

if __name__ == "__main__":
    run(BackupService())
