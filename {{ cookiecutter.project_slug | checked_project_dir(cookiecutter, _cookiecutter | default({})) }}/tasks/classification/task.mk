# The classification task's part of the Makefile.

# The command behind `make decide`: whether to offer the retention incentive, for each row.
DECISION := decide
