"""The adversarial suite: hostile mail, hostile servers, faults, long runs, secrets, races."""
