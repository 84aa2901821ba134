"""Trust in the GUI: users and roles, backups, retention review, and small guards
(the backup timer, a clipboard that clears itself)."""
