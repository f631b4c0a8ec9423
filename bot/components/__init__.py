"""Custom parts loaded into the Rasa server: the mUSE featurizer and a cheaper action-reply check."""
from components import action_reply_check

action_reply_check.install()
