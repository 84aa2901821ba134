"""The action board page and projection mode."""
from .page import BoardPage
from .projection import ProjectionItem, ProjectionWindow

__all__ = ["BoardPage", "ProjectionWindow", "ProjectionItem"]
