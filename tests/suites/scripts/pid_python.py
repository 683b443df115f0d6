# The target of the pid suite's Python case: collections of generation 1 twice and of
# generation 2 three times, each firing CPython's gc-start and gc-done probes.
import gc

for _ in range(2):
    gc.collect(1)
for _ in range(3):
    gc.collect(2)
