# The regression task's part of the Makefile.

# The command behind `make decide`: the price with the highest expected profit, for each row.
DECISION := optimize
