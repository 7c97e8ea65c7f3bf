"""The emulator's HTTP side: the admin API under `/_emulator`."""
