"""Where things live in the repository, so no module guesses relative paths on its own."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "faq"
SHOPS_FILE = ROOT / "shops.yml"
BOT_DIR = ROOT / "bot"
MODELS_DIR = BOT_DIR / "models"
RASA_VENV = ROOT / ".venv-rasa"
VAR_DIR = ROOT / "var"  # runtime state for `make run` (SQLite files, index cache); git-ignored
