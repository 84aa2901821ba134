"""The group audit: sessions, the table of groups, the one-page PDF."""
