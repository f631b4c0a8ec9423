"""`python -m connectors`: serve the gateway alone (Rasa and actions run elsewhere; used by tests)."""
import logging

from connectors.app import run

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
