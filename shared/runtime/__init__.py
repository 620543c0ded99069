"""What every service process is made of: owned tasks, informers, reconcile runners, wiring."""
