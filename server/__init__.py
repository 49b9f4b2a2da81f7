"""The mock SIS: a OneRoster 1.1 and 1.2 provider."""

import warnings

# connexion imports starlette's test client at start-up, which warns about httpx; it is not used here.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
