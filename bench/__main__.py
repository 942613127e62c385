import sys
import time

from bench.run import main

started = time.perf_counter()
code = main()
print(f"bench finished in {time.perf_counter() - started:.0f} s")
sys.exit(code)
