"""Team mode in the desktop: connecting to a server workspace, servers in the recent list,
the password in the system keyring, live refresh from the server's NOTIFY, and the banner
when the connection is lost (issue 17)."""
