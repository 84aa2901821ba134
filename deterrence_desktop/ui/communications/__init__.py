"""Communications screens: the log, the quick contact form and a person's timeline."""
