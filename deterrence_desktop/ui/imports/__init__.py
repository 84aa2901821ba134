"""File → Import from a spreadsheet…: the import wizard (source, columns, values,
dry run with a decision per row, apply), undoable as one step."""
