"""The Letters page: print personalised letters and edit their templates."""
from .page import LettersPage, TemplateEditor

__all__ = ["LettersPage", "TemplateEditor"]
