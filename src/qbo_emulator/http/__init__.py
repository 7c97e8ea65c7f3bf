"""The emulator's HTTP surface: the Accounting API (`api`), the admin API (`admin`) and the
application that joins them with the OAuth routes (`app`)."""
